"""The transaction manager against a real anvil: nonces, batches, receipts, reverts, resubmission,
nonce-gap repair and several managers sharing one signer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ledger.chain import ChainClient, Contract
from ledger.db import Database
from ledger.outbox import KeySigner, Operation, Outbox, TransactionManager, Write

from .chain_checks import assert_outbox_agrees_with_chain, operations, stored_notes


def tag(signer: KeySigner, text: str) -> str:
    """A note unique to this test's signer (the chain is shared by every test of the session)."""
    return f"{signer.address[2:10]}-{text}"


def enqueue_stores(
    outbox: Outbox, probe: Contract, signer: KeySigner, count: int, prefix: str = ""
) -> list[str]:
    writes = [
        Write.call(
            probe,
            "store",
            i,
            tag(signer, f"{prefix}{i}"),
            org="org-1",
            kind="probe.store",
            signer=signer.address,
            idempotency_key=f"{prefix}key-{i}",
        )
        for i in range(count)
    ]
    return [op.id for op in outbox.enqueue_many(writes)]


def test_manager_mines_each_operation_once_with_consecutive_nonces(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    ids = enqueue_stores(outbox, probe, signer, 30, prefix="m-")
    manager = TransactionManager(db, chain, [signer], batch_size=8)
    manager.drain(timeout=30)
    ops = operations(db, signer.address)
    assert [op.id for op in ops] == ids  # nonces follow acceptance order
    assert [op.nonce for op in ops] == list(range(30))
    assert {op.status for op in ops} == {"mined"}
    assert all(op.public()["status"] == "mined" and op.result and op.result["gasUsed"] > 0 for op in ops)
    notes = stored_notes(chain, probe)
    assert all(notes[tag(signer, f"m-{i}")] == 1 for i in range(30))
    assert_outbox_agrees_with_chain(chain, probe, db, ops)
    assert int(chain.rpc("eth_getTransactionCount", [signer.address, "latest"]), 16) == 30


def test_transaction_reverting_on_chain_fails_with_decoded_error(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    # Skipping the pre-check and the estimate (explicit gas) lets the revert happen on chain.
    write = Write.call(
        probe, "fail", 42, "on chain", org="org-1", kind="probe.fail", signer=signer.address, gas=100_000
    )
    op = outbox.enqueue(write, precheck=False)
    TransactionManager(db, chain, [signer]).drain(timeout=30)
    failed = outbox.get(op.id)
    assert failed.status == "failed" and failed.public()["status"] == "failed"
    assert failed.error_code == "PROBE_FAILED"
    assert failed.error_detail is not None and "on chain" in failed.error_detail
    assert failed.nonce == 0 and failed.block_number is not None
    receipt = chain.rpc("eth_getTransactionReceipt", [failed.tx_hash])
    assert int(receipt["status"], 16) == 0


def test_write_that_would_revert_at_signing_time_fails_without_taking_a_nonce(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    bad = outbox.enqueue(
        Write.call(probe, "fail", 1, "late", org="org-1", kind="probe.fail", signer=signer.address),
        precheck=False,
    )
    good = outbox.enqueue(
        Write.call(probe, "store", 1, "after", org="org-1", kind="probe.store", signer=signer.address)
    )
    assert bad.gas is None  # no pre-check, no gas measure: the manager estimates it
    TransactionManager(db, chain, [signer]).drain(timeout=30)
    assert outbox.get(bad.id).status == "failed" and outbox.get(bad.id).error_code == "PROBE_FAILED"
    assert outbox.get(bad.id).nonce is None
    assert outbox.get(good.id).status == "mined" and outbox.get(good.id).nonce == 0


@pytest.fixture
def manual_mining(chain: ChainClient) -> Iterator[None]:
    chain.rpc("evm_setAutomine", [False])
    try:
        yield
    finally:
        chain.rpc("evm_setAutomine", [True])


def test_write_queued_without_gas_is_estimated_by_the_manager_and_mined(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    op = outbox.enqueue(
        Write.call(
            probe, "store", 5, tag(signer, "estimated"), org="o", kind="probe.store", signer=signer.address
        ),
        precheck=False,
    )
    assert op.gas is None
    TransactionManager(db, chain, [signer]).drain(timeout=30)
    mined = outbox.get(op.id)
    assert mined.status == "mined" and mined.gas is not None and mined.gas > 21_000
    assert stored_notes(chain, probe)[tag(signer, "estimated")] == 1


def test_dropped_transaction_is_resent_with_the_same_signed_bytes(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner, manual_mining: None
) -> None:
    enqueue_stores(outbox, probe, signer, 5, prefix="drop-")
    manager = TransactionManager(db, chain, [signer], resend_after=0.2)
    report = manager.step()
    assert report.signed == 5 and report.sent == 5
    signed = {op.id: (op.nonce, op.tx_hash, op.raw_tx) for op in operations(db, signer.address)}
    chain.rpc("anvil_dropAllTransactions")
    chain.rpc("evm_setAutomine", [True])
    total = manager.drain(timeout=30)
    assert total.resent >= 5
    after = operations(db, signer.address)
    assert {op.id: (op.nonce, op.tx_hash, op.raw_tx) for op in after} == signed
    assert [(op.status, op.error_code, op.error_detail) for op in after] == [("mined", None, None)] * 5
    notes = stored_notes(chain, probe)
    assert all(notes[tag(signer, f"drop-{i}")] == 1 for i in range(5))


def test_refused_transaction_fails_and_its_nonce_is_filled_so_later_ones_mine(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    first = outbox.enqueue(
        Write.call(
            probe, "store", 1, tag(signer, "gap-1"), org="o", kind="probe.store", signer=signer.address
        )
    )
    # More gas than a block holds: the node refuses it, leaving a nonce gap behind it.
    huge = outbox.enqueue(
        Write.call(
            probe,
            "store",
            2,
            tag(signer, "gap-2"),
            org="o",
            kind="probe.store",
            signer=signer.address,
            gas=40_000_000,
        )
    )
    last = outbox.enqueue(
        Write.call(
            probe, "store", 3, tag(signer, "gap-3"), org="o", kind="probe.store", signer=signer.address
        )
    )
    TransactionManager(db, chain, [signer]).drain(timeout=30)
    refused = outbox.get(huge.id)
    assert refused.status == "failed" and refused.error_code == "TRANSACTION_REJECTED"
    assert refused.nonce == 1 and refused.block_number is not None
    assert outbox.get(first.id).status == "mined" and outbox.get(last.id).status == "mined"
    assert outbox.get(last.id).nonce == 2
    notes = stored_notes(chain, probe)
    assert (
        notes[tag(signer, "gap-1")] == 1
        and notes[tag(signer, "gap-2")] == 0
        and notes[tag(signer, "gap-3")] == 1
    )


def test_two_managers_sharing_a_signer_never_share_a_nonce(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    stop = threading.Event()
    managers = [TransactionManager(db, chain, [signer], batch_size=10, resend_after=2.0) for _ in range(2)]
    threads = [threading.Thread(target=m.run, args=(stop,)) for m in managers]
    for t in threads:
        t.start()
    try:
        for round_ in range(4):
            enqueue_stores(outbox, probe, signer, 25, prefix=f"two-{round_}-")
        managers[0].drain(timeout=60)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    ops = operations(db, signer.address)
    assert sorted(op.nonce for op in ops if op.nonce is not None) == list(range(100))
    assert {op.status for op in ops} == {"mined"}
    notes = stored_notes(chain, probe)
    assert all(notes[tag(signer, f"two-{r}-{i}")] == 1 for r in range(4) for i in range(25))


def test_mined_hook_runs_in_the_recording_transaction_and_projection_gates_mined(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    seen: list[str] = []

    def on_mined(session: object, ops: list[Operation]) -> None:
        seen.extend(op.id for op in ops)

    ids = enqueue_stores(outbox, probe, signer, 3, prefix="hook-")
    TransactionManager(db, chain, [signer], on_mined=on_mined).drain(timeout=30)
    assert sorted(seen) == sorted(ids)
    op = outbox.get(ids[0])
    assert op.block_number is not None
    assert op.public(require_projection=True)["status"] == "pending"  # nothing projected yet
    assert op.public(op.block_number - 1, require_projection=True)["status"] == "pending"
    assert op.public(op.block_number, require_projection=True)["status"] == "mined"
    assert op.public()["status"] == "mined"  # a node without an index shows what the chain says


def test_operation_resigned_with_the_same_nonce_is_mined_once_whichever_version_lands(
    outbox: Outbox, db: Database, chain: ChainClient, probe: Contract, signer: KeySigner, manual_mining: None
) -> None:
    op = outbox.enqueue(
        Write.call(
            probe, "store", 1, tag(signer, "resign"), org="o", kind="probe.store", signer=signer.address
        )
    )
    manager = TransactionManager(db, chain, [signer], resend_after=0.05, stuck_after=0.1)
    manager.step()
    first = outbox.get(op.id)
    deadline = time.monotonic() + 10
    while outbox.get(op.id).tx_hash == first.tx_hash and time.monotonic() < deadline:
        manager.step()  # the node holds the first version without mining it: re-signed
        time.sleep(0.02)
    second = outbox.get(op.id)
    assert second.tx_hash != first.tx_hash and second.nonce == first.nonce
    assert second.replaced_tx_hashes == [first.tx_hash]
    chain.rpc("evm_mine")  # the first version (still in the pool) is the one that lands
    manager.drain(timeout=30)
    mined = outbox.get(op.id)
    assert mined.status == "mined" and mined.tx_hash == first.tx_hash
    assert mined.replaced_tx_hashes == [second.tx_hash]
    assert stored_notes(chain, probe)[tag(signer, "resign")] == 1
    assert int(chain.rpc("eth_getTransactionCount", [signer.address, "latest"]), 16) == 1
