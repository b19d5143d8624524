"""The in-process title cache (``ledger.index.cache.BillCache``) stays exact while the indexer projects:
real anvil, the real contracts, the indexer stepping over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.index.cache import BillCache
from ledger.index.projections import hex32
from tests.contracts.roles_release import NEGOTIABLE, ZERO, issue
from tests.integration.index.conftest import Stack

pytestmark = pytest.mark.slow


def test_a_transfer_projected_by_the_indexer_replaces_the_cached_row(
    db: Database, stack: Stack, chain: ChainClient
) -> None:
    cache = BillCache(db)
    indexer = stack.indexer(db)
    indexer.watchers.append(cache.changing)
    snap = chain.snapshot()
    try:
        bill_id = hex32(issue(stack.world, NEGOTIABLE, to="TRADER"))
        indexer.catch_up()
        row = cache.get(bill_id)
        assert row is not None and row.possessor == stack.world.org["TRADER"]
        assert cache.peek(bill_id) == (True, row)  # kept

        assert stack.world.bills is not None
        stack.world.bills.transact(
            "transfer", int(bill_id, 16), stack.world.org["BANK"], ZERO, sender=stack.world.caller("TRADER")
        )
        assert cache.get(bill_id).possessor == stack.world.org["TRADER"]  # type: ignore[union-attr]
        indexer.catch_up()
        assert cache.peek(bill_id)[0] is False  # the projection dropped it
        fresh = cache.get(bill_id)
        assert fresh is not None and fresh.possessor == stack.world.org["BANK"]
    finally:
        chain.revert(snap)


def test_a_row_read_while_its_title_changes_is_not_kept(
    db: Database, stack: Stack, chain: ChainClient
) -> None:
    cache = BillCache(db)
    indexer = stack.indexer(db)
    snap = chain.snapshot()
    try:
        bill_id = hex32(issue(stack.world, NEGOTIABLE, to="TRADER"))
        indexer.catch_up()
        with cache.changing({bill_id}):
            assert cache.get(bill_id) is not None  # read from the database ...
            assert cache.peek(bill_id) == (False, None)  # ... and not kept while it may change
        with cache.changing(None):
            cache.get(bill_id)
            assert cache.peek(bill_id) == (False, None)
        assert cache.get(bill_id) is not None
        assert cache.peek(bill_id)[0] is True
    finally:
        chain.revert(snap)


def test_a_rewind_forgets_every_cached_title(db: Database, stack: Stack, chain: ChainClient) -> None:
    cache = BillCache(db)
    indexer = stack.indexer(db)
    indexer.watchers.append(cache.changing)
    snap = chain.snapshot()
    try:
        indexer.catch_up()
        before_fork = chain.snapshot()
        bill_id = hex32(issue(stack.world, NEGOTIABLE, to="TRADER"))
        indexer.catch_up()
        assert cache.get(bill_id) is not None
        chain.revert(before_fork)
        for _ in range(3):
            chain.mine()
        indexer.catch_up()  # finds the fork, rewinds, re-reads the new blocks
        assert cache.peek(bill_id)[0] is False
        assert cache.get(bill_id) is None  # the title is gone with its blocks
    finally:
        chain.revert(snap)
