"""One chain worker at a time across the nodes sharing a PostgreSQL database: the lease is an advisory
lock held by a connection of its own plus a fencing epoch beside the nonces. When the holder dies (its
connection ends) a waiting worker takes over within seconds with the next epoch; the old holder, should
it still run, can neither hand out a nonce nor send; every queued operation ends mined exactly once.
Real PostgreSQL (the machine's server) and the session's anvil; two ``Database`` objects and two
transaction managers stand for the two nodes' chain workers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ledger.chain import ChainClient, Contract
from ledger.db import Database
from ledger.outbox import KeySigner, Outbox, StepReport, TransactionManager
from ledger.outbox.lease import ChainWorkerLease, LeaseLost
from tests.integration.conftest import postgres_database
from tests.integration.outbox.chain_checks import assert_outbox_agrees_with_chain, operations, stored_notes
from tests.integration.outbox.test_outbox_manager import enqueue_stores, tag

pytestmark = pytest.mark.postgres


def test_a_waiting_worker_takes_over_when_the_holder_dies_and_the_old_holder_is_fenced(
    postgres_schema: str, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    node_a, node_b = postgres_database(postgres_schema), postgres_database(postgres_schema)
    try:
        first, second = ChainWorkerLease(node_a, holder="node-a"), ChainWorkerLease(node_b, holder="node-b")
        assert first.acquire()
        epoch = first.epoch
        assert epoch is not None

        taken = threading.Event()
        standby = threading.Thread(target=lambda: second.acquire(poll=0.1) and taken.set(), daemon=True)
        standby.start()
        time.sleep(0.5)
        assert not taken.is_set(), "two workers hold the lease at once"

        # Node A's worker queues work and then dies with its work sent to nobody: its lock
        # connection ends as the process's would.
        ids = enqueue_stores(Outbox(node_a, chain), probe, signer, 5, prefix="lease-")
        manager_a = TransactionManager(node_a, chain, [signer], lease=first)
        died_at = time.monotonic()
        first.drop_connection_for_tests()
        assert taken.wait(5), "the waiting worker did not take over within 5 s"
        assert time.monotonic() - died_at < 5
        assert second.epoch == epoch + 1

        # The old holder, still running somewhere, is fenced: no nonce, no send.
        with pytest.raises(LeaseLost):
            manager_a.step()
        with pytest.raises(LeaseLost):
            first.check()
        assert all(op.nonce is None and op.status == "queued" for op in operations(node_a, signer.address))

        # The new holder drives every operation to mined, once each.
        TransactionManager(node_b, chain, [signer], lease=second).drain(timeout=60)
        ops = operations(node_b, signer.address)
        assert sorted(op.id for op in ops) == sorted(ids)
        assert all(op.status == "mined" for op in ops)
        assert_outbox_agrees_with_chain(chain, probe, node_b, ops)
        notes = stored_notes(chain, probe)
        assert all(notes[tag(signer, f"lease-{i}")] == 1 for i in range(5))
        second.release()
    finally:
        node_a.dispose()
        node_b.dispose()


def test_a_worker_that_lost_the_lease_between_allocating_and_sending_sends_nothing(
    postgres_schema: str, chain: ChainClient, probe: Contract, signer: KeySigner
) -> None:
    """The fence holds at both places: a successor taking over after the old holder signed (nonces
    stored, status sent) makes the old holder's send refuse; the successor re-sends the same bytes."""
    node_a, node_b = postgres_database(postgres_schema), postgres_database(postgres_schema)
    try:
        first, second = ChainWorkerLease(node_a), ChainWorkerLease(node_b)
        assert first.acquire()
        enqueue_stores(Outbox(node_a, chain), probe, signer, 2, prefix="fence-")
        manager_a = TransactionManager(node_a, chain, [signer], lease=first)
        manager_a.gas.estimate(signer)
        signed = manager_a.nonces.allocate(signer, 10)
        assert len(signed) == 2
        first.drop_connection_for_tests()
        assert second.acquire(poll=0.1)
        with pytest.raises(LeaseLost):
            manager_a._send(signer, signed, StepReport(), resend=False)
        assert chain.rpc("eth_getTransactionCount", [signer.address, "pending"]) == "0x0"
        TransactionManager(node_b, chain, [signer], lease=second, resend_after=0.2).drain(timeout=60)
        ops = operations(node_b, signer.address)
        assert [op.nonce for op in ops] == [0, 1] and all(op.status == "mined" for op in ops)
        assert [op.tx_hash for op in ops] == [s.tx_hash for s in signed]  # the very bytes signed first
        second.release()
    finally:
        node_a.dispose()
        node_b.dispose()


def test_on_sqlite_the_lease_is_held_at_once_and_never_fences(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/single.db")
    db.migrate()
    lease = ChainWorkerLease(db)
    assert lease.acquire() and lease.epoch == 0
    lease.check()
    lease.release()
    db.dispose()
