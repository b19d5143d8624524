"""The processes of a multi-process node tell each other over PostgreSQL ``LISTEN``/``NOTIFY``: a queued
operation wakes the chain worker, a revoked API key leaves every worker's cache. A notification is sent
only when its transaction commits. Real PostgreSQL (the machine's server), two ``Database`` objects
standing for two processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from ledger.bootstrap import on_notification
from ledger.db import Database
from ledger.outbox import Outbox
from ledger.outbox.enqueue import ENQUEUED_CHANNEL
from ledger.services.keys import KEYS_CHANNEL, ApiKeys
from tests.integration.conftest import postgres_database

pytestmark = pytest.mark.postgres


class Listener:
    """``Database.listen`` in a thread, recording what arrives."""

    def __init__(
        self, db: Database, channels: tuple[str, ...], node: Callable[[str, str], None] | None = None
    ):
        self.received: list[tuple[str, str]] = []
        self.stop = threading.Event()
        self.connected = threading.Event()
        self.node = node
        self.thread = threading.Thread(target=db.listen, args=(channels, self.handle, self.stop), daemon=True)

    def handle(self, channel: str, payload: str) -> None:
        if self.node is not None:
            self.node(channel, payload)  # what the node's own listener does (Ledger._listen)
        if channel == "":
            self.connected.set()
        else:
            self.received.append((channel, payload))

    def wait_for(self, channel: str, payload: str | None = None, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(c == channel and (payload is None or p == payload) for c, p in self.received):
                return True
            time.sleep(0.02)
        return False


@pytest.fixture
def two_processes(postgres_schema: str) -> Iterator[tuple[Database, Database]]:
    first, second = postgres_database(postgres_schema), postgres_database(postgres_schema)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


@pytest.fixture
def listener(two_processes: tuple[Database, Database]) -> Iterator[Listener]:
    _, second = two_processes
    listening = Listener(second, (ENQUEUED_CHANNEL, KEYS_CHANNEL))
    listening.thread.start()
    assert listening.connected.wait(10), "the listener never connected"
    yield listening
    listening.stop.set()
    listening.thread.join(5)


def test_a_notification_arrives_in_the_other_process_only_when_its_transaction_commits(
    two_processes: tuple[Database, Database], listener: Listener
) -> None:
    first, _ = two_processes
    with pytest.raises(RuntimeError), first.transaction() as session:
        first.notify(session, ENQUEUED_CHANNEL, "rolled back")
        raise RuntimeError("abort")
    with first.transaction() as session:
        first.notify(session, ENQUEUED_CHANNEL, "committed")
    assert listener.wait_for(ENQUEUED_CHANNEL, "committed")
    assert (ENQUEUED_CHANNEL, "rolled back") not in listener.received


def test_a_key_revoked_in_one_process_leaves_the_other_processes_cache_and_a_queued_write_wakes_it(
    two_processes: tuple[Database, Database],
) -> None:
    first, second = two_processes
    issuing, serving = ApiKeys(first), ApiKeys(second, cache_seconds=3600)
    chain_worker_outbox = Outbox(second, None)  # type: ignore[arg-type]  # only its wake-up is used
    listening = Listener(
        second, (ENQUEUED_CHANNEL, KEYS_CHANNEL), on_notification(serving, chain_worker_outbox)
    )
    listening.thread.start()
    try:
        assert listening.connected.wait(10)
        issued = issuing.create("7", label="worker test")
        assert serving.authenticate(issued.token) == "7"
        assert serving.cached(issued.token) == "7"  # an hour of cache: only the notification clears it

        revoked = issuing.revoke(issued.id)
        assert listening.wait_for(KEYS_CHANNEL, revoked.token_sha256)
        assert serving.cached(issued.token) is None

        chain_worker_outbox.enqueued.clear()
        with first.transaction() as session:
            first.notify(session, ENQUEUED_CHANNEL)
        assert chain_worker_outbox.enqueued.wait(5)
    finally:
        listening.stop.set()
        listening.thread.join(5)


def test_the_notification_connection_comes_back_after_the_server_drops_it(
    two_processes: tuple[Database, Database], listener: Listener
) -> None:
    first, _ = two_processes
    listener.connected.clear()
    with first.transaction() as session:  # end the listener's backend, as a server restart would
        session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() AND application_name = ''"
            )
        )
    assert listener.connected.wait(10), "the listener did not reconnect"
    with first.transaction() as session:
        first.notify(session, ENQUEUED_CHANNEL, "after reconnect")
    assert listener.wait_for(ENQUEUED_CHANNEL, "after reconnect")
