"""The database: one URL chooses SQLite (embedded default, WAL mode) or PostgreSQL, same code.

Owns the engine settings each backend needs, the write-lock discipline and the schema migrations
(Alembic, run programmatically from ``ledger/migrations``; no ``alembic.ini`` is needed). It knows
no table of its own: the outbox, the index and later packages bring their SQLModel tables and
their migrations.

Locks: a transaction opened with ``transaction(lock=True)`` is a writer that excludes other
writers from its first statement on SQLite (``BEGIN IMMEDIATE``), and on PostgreSQL relies on the
caller's ``SELECT … FOR UPDATE`` (SQLAlchemy's ``with_for_update()``, which SQLite ignores), so
the same code is safe with several processes on either backend.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

_log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///./data/portledger.db"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_OPTION = "portledger_lock"
SQLITE_POOL_SIZE = 48
"""Connections kept open to a SQLite file: at least the API's worker threads plus the background
workers, so a busy node does not open (and set up) a connection per request."""


def database_url() -> str:
    """``PORTLEDGER_DATABASE_URL``, or the embedded SQLite file under ``./data``."""
    return os.environ.get("PORTLEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL


def _sqlite_engine(url: str, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": 30.0, "check_same_thread": False},
        **(
            {"poolclass": NullPool}
            if parsed.database in (None, "", ":memory:")
            else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 16, "pool_timeout": 60}
        ),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (the module's
        # implicit BEGIN is DEFERRED and would turn a writer into a late lock upgrade).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        lock = connection.get_execution_options().get(_LOCK_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if lock else "BEGIN")

    return engine


def make_engine(url: str | None = None, *, echo: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`) with the backend's settings applied."""
    url = url or database_url()
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo)
    return create_engine(url, echo=echo, pool_pre_ping=True, **kwargs)


class Database:
    """An engine plus the two ways the core opens transactions."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None, echo: bool = False):
        self.engine = engine or make_engine(url, echo=echo)
        self.url = self.engine.url.render_as_string(hide_password=True)
        # SQLite has one writer at a time and makes the others poll (sleeping 1 to 100 ms between
        # tries); writers of this process queue on this lock instead and take SQLite's lock at once.
        self._writer = threading.RLock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def notifies(self) -> bool:
        """Whether other processes on this database can be told of changes (PostgreSQL ``NOTIFY``)."""
        return self.engine.dialect.name == "postgresql"

    def notify(self, session: Session, channel: str, payload: str = "") -> None:
        """``NOTIFY channel`` inside ``session``'s transaction (delivered when it commits, never when
        it rolls back); nothing on SQLite, whose node is one process."""
        if self.notifies:
            session.execute(
                text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
            )

    def listen(
        self,
        channels: Sequence[str],
        handler: Callable[[str, str], None],
        stop: threading.Event,
        *,
        poll: float = 1.0,
    ) -> None:
        """Call ``handler(channel, payload)`` for every notification on ``channels`` until ``stop`` is
        set (a background worker's loop; reconnects after a lost connection). Returns at once on
        SQLite. ``handler`` is also called with an empty channel after each (re)connection, so a
        listener can drop what it may have missed meanwhile."""
        if not self.notifies:
            return
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    for channel in channels:
                        connection.execute(f'LISTEN "{channel}"')
                    handler("", "")
                    while not stop.is_set():
                        for note in connection.notifies(timeout=poll, stop_after=100):
                            handler(note.channel, note.payload)
            except psycopg.OperationalError:
                _log.warning("lost the notification connection to the database; reconnecting in 1 s")
                stop.wait(1.0)

    @contextmanager
    def transaction(self, *, lock: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on normal exit, rolled back on an exception.

        ``lock=True`` makes it a writer from the start on SQLite (``BEGIN IMMEDIATE``, after this
        process's other writers); on PostgreSQL the caller takes row locks with ``with_for_update()``.
        """
        if lock and self._writer is not None:
            with self._writer:
                yield from self._transaction(lock)
            return
        yield from self._transaction(lock)

    def _transaction(self, lock: bool) -> Iterator[Session]:
        with self.engine.connect() as connection:
            if lock:
                connection = connection.execution_options(**{_LOCK_OPTION: True})
            with Session(bind=connection, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` with the migrations in ``ledger/migrations``."""
        from alembic import command

        with self.engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def connect(url: str | None = None, *, migrate: bool = True) -> Database:
    """Open the database at ``url`` and (by default) bring its schema up to date."""
    db = Database(url)
    if migrate:
        db.migrate()
    return db
