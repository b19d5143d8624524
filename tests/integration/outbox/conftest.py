"""Fixtures for the outbox tests: a fresh database per test (SQLite file, or a PostgreSQL schema of
its own), the Probe contract on the session's anvil, and a new funded key per test so that
nonces never collide between tests sharing the chain."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.chain import ChainClient, Contract
from ledger.db import Database, make_engine
from ledger.outbox import KeySigner, Outbox

POSTGRES_URL = os.environ.get(
    "PORTLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None if it answers."""
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


def sqlite_database(directory: Path) -> Database:
    db = Database(f"sqlite:///{directory / 'outbox.db'}")
    db.migrate()
    return db


@pytest.fixture
def postgres_schema(postgres_available: None) -> Iterator[str]:
    """A fresh schema, dropped afterwards; the URL in the yielded string selects it."""
    schema = f"outbox_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_database(schema: str) -> Database:
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    db = Database(engine=engine)
    db.migrate()
    return db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = sqlite_database(tmp_path)
    else:
        database = postgres_database(request.getfixturevalue("postgres_schema"))
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def probe(chain: ChainClient, accounts: list[str]) -> Contract:
    return chain.deploy("Probe", sender=accounts[0])


@pytest.fixture
def signer(chain: ChainClient) -> KeySigner:
    key = KeySigner(os.urandom(32))
    chain.rpc("anvil_setBalance", [key.address, hex(10**21)])
    return key


@pytest.fixture
def outbox(db: Database, chain: ChainClient) -> Outbox:
    return Outbox(db, chain)
