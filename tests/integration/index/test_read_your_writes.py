"""Read your own writes: an outbox operation shows ``mined`` only once the index has projected its block
(the index owns that progress: ``projected_through``; an operation mined after the indexer passed its
block is ``mined`` at once); the background loop projects a new title so that ``wait_projected`` of its
block answers True."""

from __future__ import annotations

import threading

import pytest

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.index import queries
from ledger.index.indexer import projected_through, wait_projected
from ledger.outbox.models import Operation, OperationStatus
from tests.contracts.roles_release import NEGOTIABLE, issue
from tests.integration.index.conftest import Stack

pytestmark = pytest.mark.slow


def mined_operation(db: Database, op_id: str, block: int) -> None:
    with db.transaction() as session:
        session.add(
            Operation(
                id=op_id,
                org="1",
                kind="bill.issue",
                request_hash="00" * 32,
                chain_id=31337,
                target="0x" + "00" * 20,
                calldata=b"",
                signer="0x" + "11" * 20,
                status=OperationStatus.MINED.value,
                block_number=block,
            )
        )


def projected(db: Database, op_id: str) -> bool:
    """Whether the operation shows ``mined`` to a client of a node that requires projection."""
    through = projected_through(db)
    with db.transaction() as session:
        row = session.get(Operation, op_id)
        assert row is not None
        status = row.public(through[0] if through else None, require_projection=True)["status"]
    return bool(status == "mined")


def test_an_operation_shows_mined_only_once_the_index_passed_its_block(
    db: Database, stack: Stack, chain: ChainClient
) -> None:
    indexer = stack.indexer(db)
    indexer.catch_up()
    head = chain.block_number()
    mined_operation(db, "op_ahead", head + 1)
    mined_operation(db, "op_behind", head)
    indexer.step()
    assert projected(db, "op_behind") is True
    assert projected(db, "op_ahead") is False

    mined_operation(db, "op_late", head)  # the manager marks it mined after the indexer passed
    assert projected(db, "op_late") is True


def test_the_background_loop_projects_a_new_title_for_wait_projected(
    db: Database, stack: Stack, chain: ChainClient
) -> None:
    indexer = stack.indexer(db)
    stop = threading.Event()
    worker = threading.Thread(target=indexer.run, args=(stop, 0.05), daemon=True)
    worker.start()
    snap = chain.snapshot()
    try:
        bill_id = issue(stack.world, NEGOTIABLE, to="TRADER")
        assert wait_projected(db, chain.block_number(), timeout=30) is True
        bill = queries.get_bill(db, bill_id)
        assert bill is not None and bill.possessor == stack.world.org["TRADER"]
    finally:
        stop.set()
        worker.join(timeout=10)
        chain.revert(snap)
    assert not worker.is_alive()
