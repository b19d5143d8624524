"""Fixtures for the index tests: the databases are named ``index`` (the fresh database per test comes
from ``tests/integration/conftest.py``) and the four contracts are deployed on the session's anvil inside
a module-wide EVM snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.index.indexer import Indexer
from tests.contracts.roles_attestation import World
from tests.contracts.roles_release import build_release_world


@pytest.fixture(scope="session")
def database_name() -> str:
    return "index"


@dataclass
class Stack:
    """The deployed contracts by name, the block before the first deployment, and the test world."""

    world: World
    contracts: dict[str, str]
    start_block: int

    def indexer(self, db: Database, **kwargs: Any) -> Indexer:
        return Indexer(db, self.world.chain, self.contracts, self.start_block, **kwargs)


@pytest.fixture(scope="module")
def stack(chain: ChainClient, accounts: list[str]) -> Iterator[Stack]:
    snap = chain.snapshot()
    try:
        start = chain.block_number() + 1
        world = build_release_world(chain, accounts)
        contracts = {name: c.address for name, c in world.contracts.items()}
        yield Stack(world, contracts, start)
    finally:
        chain.revert(snap)
