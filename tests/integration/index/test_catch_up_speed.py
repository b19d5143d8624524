"""Catch-up speed from cold: many titles issued, then one indexer projects them all. The figure is
printed (``-s``), not asserted: it depends on the machine; the test asserts only that every title
arrived."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.index import queries
from ledger.index.indexer import event_count
from tests.contracts.roles_release import NEGOTIABLE, issue
from tests.integration.index.conftest import Stack

pytestmark = pytest.mark.slow
TITLES = 300


@pytest.fixture
def busy_chain(stack: Stack, chain: ChainClient) -> Iterator[Stack]:
    snap = chain.snapshot()
    try:
        for _ in range(TITLES):
            issue(stack.world, NEGOTIABLE, to="TRADER")
        yield stack
    finally:
        chain.revert(snap)


def test_catch_up_from_cold_projects_every_title(db: Database, busy_chain: Stack) -> None:
    indexer = busy_chain.indexer(db)
    started = time.perf_counter()
    stored = indexer.catch_up()
    elapsed = time.perf_counter() - started
    backend = db.engine.dialect.name
    rate = stored / elapsed
    print(f"\n[{backend}] catch-up from cold: {stored} events in {elapsed:.2f}s = {rate:.0f} events/s")
    assert stored == event_count(db)
    bills, _ = queries.list_bills(db, limit=500)
    assert len(bills) >= TITLES
