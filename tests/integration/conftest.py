"""Database fixtures shared by the integration tests: a fresh database per test, either a SQLite file or
a PostgreSQL schema of its own (skipped when no server answers). A package using ``db`` names its
databases with a ``database_name`` fixture (the SQLite file stem and the schema prefix)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.db import Database, make_engine

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


def sqlite_database(directory: Path, name: str) -> Database:
    db = Database(f"sqlite:///{directory / f'{name}.db'}")
    db.migrate()
    return db


@pytest.fixture
def postgres_schema(postgres_available: None, database_name: str) -> Iterator[str]:
    """A fresh schema, dropped afterwards."""
    schema = f"{database_name}_test_{uuid.uuid4().hex[:12]}"
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
def db(request: pytest.FixtureRequest, tmp_path: Path, database_name: str) -> Iterator[Database]:
    if request.param == "sqlite":
        database = sqlite_database(tmp_path, database_name)
    else:
        database = postgres_database(request.getfixturevalue("postgres_schema"))
    try:
        yield database
    finally:
        database.dispose()
