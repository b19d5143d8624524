"""Fixtures for the index tests: a fresh database per test (SQLite file, or a PostgreSQL schema of
its own) and the four contracts deployed on the session's anvil inside a module-wide EVM snapshot."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ledger.chain import ChainClient
from ledger.db import Database, make_engine
from ledger.index.indexer import Indexer
from tests.contracts.roles_attestation import World
from tests.contracts.roles_release import build_release_world

POSTGRES_URL = os.environ.get(
    "PORTLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_unreachable() -> str | None:
    try:
        engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.__class__.__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def postgres_schema(postgres_available: None) -> Iterator[str]:
    schema = f"index_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'index.db'}")
    else:
        schema = request.getfixturevalue("postgres_schema")
        engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
        database = Database(engine=engine)
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()


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
