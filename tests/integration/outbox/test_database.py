"""ledger.db: the URL chooses the backend; SQLite runs in WAL mode and takes the write lock at BEGIN."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.db import DEFAULT_DATABASE_URL, Database, database_url


def test_database_url_comes_from_the_environment_with_an_embedded_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PORTLEDGER_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_DATABASE_URL == "sqlite:///./data/portledger.db"
    monkeypatch.setenv("PORTLEDGER_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert database_url() == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_sqlite_database_runs_in_wal_mode_and_creates_its_folder(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nested' / 'ledger.db'}")
    try:
        with db.transaction() as session:
            assert session.connection().execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert (tmp_path / "nested" / "ledger.db").exists()
    finally:
        db.dispose()


def test_sqlite_locked_transaction_excludes_other_writers_until_it_ends(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    with db.transaction() as session:
        session.connection().execute(text("CREATE TABLE t (v INTEGER)"))
    order: list[str] = []
    inside = threading.Event()

    def second_writer() -> None:
        inside.wait(5)
        with db.transaction(lock=True) as session:
            session.connection().execute(text("INSERT INTO t VALUES (2)"))
            order.append("second")

    writer = threading.Thread(target=second_writer)
    writer.start()
    with db.transaction(lock=True) as session:
        session.connection()  # the transaction (BEGIN IMMEDIATE) starts with the first use
        inside.set()
        time.sleep(0.3)  # the second writer is waiting for the lock meanwhile
        session.connection().execute(text("INSERT INTO t VALUES (1)"))
        order.append("first")
    writer.join(10)
    assert order == ["first", "second"]
    db.dispose()
