"""Chain rollback: anvil persists its state every few seconds, so after SIGKILL it comes back behind
what the outbox recorded as mined. At start-up the manager finds the operations whose receipts
are gone and re-sends their stored signed transactions, in nonce order: every acknowledged write
ends up on chain exactly once again."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain import ChainClient
from ledger.chain.anvil import Anvil
from ledger.db import Database
from ledger.outbox import KeySigner, Outbox, TransactionManager, Write

from .chain_checks import assert_outbox_agrees_with_chain, operations

STATE_INTERVAL = 5
BURST = 200


def wait_for_state_dump(state: Path, after: float, timeout: float = 3 * STATE_INTERVAL + 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state.exists() and state.stat().st_mtime > after and state.stat().st_size > 0:
            time.sleep(0.1)  # let the writer finish the file
            return
        time.sleep(0.02)
    raise AssertionError(f"anvil wrote no state to {state} within {timeout}s")


@pytest.fixture
def persisted_anvil(tmp_path: Path, artifacts_built: Path) -> Iterator[Anvil]:
    node = Anvil(
        accounts=2,
        state_file=tmp_path / "anvil-state.json",
        state_interval=STATE_INTERVAL,
        log_file=tmp_path / "anvil.log",
    ).start()
    try:
        yield node
    finally:
        node.stop()


@pytest.mark.slow
@pytest.mark.kill
def test_writes_lost_by_chain_rollback_are_resent_and_end_up_on_chain_once(
    db: Database, persisted_anvil: Anvil, tmp_path: Path
) -> None:
    state = persisted_anvil.state_file
    assert state is not None
    chain = ChainClient(persisted_anvil.url)
    probe = chain.deploy("Probe", sender=chain.rpc("eth_accounts")[0])
    signer = KeySigner(os.urandom(32))
    chain.rpc("anvil_setBalance", [signer.address, hex(10**21)])
    chain.mine()
    wait_for_state_dump(state, after=time.time())

    # A burst, all reported mined, then an unclean stop before the next state dump.
    outbox = Outbox(db, chain)
    writes = [
        Write.call(
            probe,
            "store",
            i,
            f"rollback-{i}",
            org="org-1",
            kind="probe.store",
            signer=signer.address,
            idempotency_key=f"rollback-{i}",
        )
        for i in range(BURST)
    ]
    acknowledged = {
        w.idempotency_key: op.id for w, op in zip(writes, outbox.enqueue_many(writes), strict=True)
    }
    TransactionManager(db, chain, [signer]).drain(timeout=30)
    before = operations(db, signer.address)
    assert {op.status for op in before} == {"mined"}
    top = max(op.block_number or 0 for op in before)
    persisted_anvil.kill()

    restarted = Anvil(
        accounts=2, state_file=state, state_interval=STATE_INTERVAL, log_file=tmp_path / "anvil-restarted.log"
    ).start()
    try:
        chain = ChainClient(restarted.url)
        assert chain.block_number() < top, "the restarted chain should have lost the burst's last blocks"
        # A slow machine must not turn a re-send into a re-sign: this test is about the same bytes.
        manager = TransactionManager(db, chain, [signer], stuck_after=600)
        report = manager.recover()
        assert report.lost, "recovery should find operations whose receipts are gone"
        reopened = {op.id for op in operations(db, signer.address) if op.status == "sent"}
        assert reopened == set(report.lost)
        manager.drain(timeout=60)

        ops = operations(db, signer.address)
        assert {op.status for op in ops} == {"mined"}
        assert [op.nonce for op in ops] == list(range(BURST))
        assert {op.id: op.tx_hash for op in ops} == {op.id: op.tx_hash for op in before}  # same signed bytes
        events = chain.get_logs(probe.address, 0, chain.block_number())
        notes = Counter(str(e.args["note"]) for e in events if e.name == "Stored")
        assert all(notes[str(key)] == 1 for key in acknowledged), {k: n for k, n in notes.items() if n != 1}
        assert sum(notes.values()) == BURST
        assert int(chain.rpc("eth_getTransactionCount", [signer.address, "latest"]), 16) == BURST
        assert_outbox_agrees_with_chain(chain, probe, db, ops)
    finally:
        restarted.stop()
