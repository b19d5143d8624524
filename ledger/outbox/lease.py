"""The chain worker's lease: at most one process of all the nodes sharing a database allocates nonces
and sends.

On PostgreSQL the lease is a session advisory lock held by a connection of its own for as long as
the process lives (the server releases it the moment that connection ends, e.g. when the process is
killed), plus a fencing epoch in ``outbox_lease`` that each new holder increments. Every transaction
that hands out or replaces a nonce checks, under a share lock on that row, that the epoch is still
the holder's, and the manager checks it again before it sends: a worker that lost the lock (its
connection dropped, a successor took over) can neither allocate nor send, even if it has not noticed
yet. On SQLite (a single-process node) the lease is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from sqlalchemy import Connection, text

from ledger.db import Database

_log = logging.getLogger(__name__)

LEASE_LOCK_KEY = 0x504C_4348_4149_4E  # "PLCHAIN": the advisory lock of the chain worker role
LEASE_NAME = "chain-worker"


class LeaseLost(RuntimeError):
    """This process no longer holds the chain worker lease: it must not allocate or send."""


class ChainWorkerLease:
    """Acquire, hold and check the chain worker lease of ``db``."""

    def __init__(self, db: Database, *, holder: str | None = None):
        self.db = db
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self.epoch: int | None = None
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self.epoch is not None

    def acquire(self, stop: threading.Event | None = None, poll: float = 0.5) -> bool:
        """Wait until this process holds the lease (True), or ``stop`` is set (False). On SQLite the
        lease is held at once."""
        if not self.db.notifies:
            self.epoch = 0
            return True
        while stop is None or not stop.is_set():
            connection = self.db.engine.connect()
            try:
                got = bool(
                    connection.execute(
                        text("SELECT pg_try_advisory_lock(:k)"), {"k": LEASE_LOCK_KEY}
                    ).scalar()
                )
                connection.commit()
                if got:
                    epoch = connection.execute(
                        text(
                            "INSERT INTO outbox_lease (name, epoch, holder, acquired_at) "
                            "VALUES (:n, 1, :h, now()) ON CONFLICT (name) DO UPDATE "
                            "SET epoch = outbox_lease.epoch + 1, holder = :h, acquired_at = now() "
                            "RETURNING epoch"
                        ),
                        {"n": LEASE_NAME, "h": self.holder},
                    ).scalar_one()
                    connection.commit()
                    with self._lock:
                        self._connection, self.epoch = connection, int(epoch)
                    _log.info("chain worker lease acquired by %s (epoch %d)", self.holder, self.epoch)
                    return True
            except Exception:
                connection.close()
                raise
            connection.close()
            time.sleep(poll)
        return False

    def check(self, connection: Connection | None = None) -> None:
        """:class:`LeaseLost` unless the lease is still this process's: inside ``connection``'s
        transaction (the one allocating a nonce) under a share lock, or in a query of its own."""
        if not self.db.notifies:
            return
        if self.epoch is None:
            raise LeaseLost("this process does not hold the chain worker lease")
        query = text("SELECT epoch FROM outbox_lease WHERE name = :n FOR SHARE")
        if connection is not None:
            current = connection.execute(query, {"n": LEASE_NAME}).scalar_one_or_none()
        else:
            with self.db.engine.connect() as own:
                current = own.execute(query, {"n": LEASE_NAME}).scalar_one_or_none()
                own.commit()
        if current != self.epoch:
            raise LeaseLost(
                f"the chain worker lease moved to epoch {current} (this process held {self.epoch})"
            )

    def release(self) -> None:
        """Give the lease up (a clean stop): the advisory lock ends with its connection."""
        with self._lock:
            connection, self._connection, self.epoch = self._connection, None, None
        if connection is not None:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEASE_LOCK_KEY})
                connection.commit()
            finally:
                connection.close()

    def drop_connection_for_tests(self) -> None:
        """End the lock's connection without unlocking, as a killed process does (tests only)."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
