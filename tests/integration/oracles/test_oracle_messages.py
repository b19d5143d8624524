"""The message table itself, on a real SQLite database brought up by the migrations: its schema is the
model's, a message belongs to one organisation, the same bytes are stored once per organisation, and a
final outcome is never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from ledger.db import Database
from ledger.services.oracle_messages import MessageStatus, OracleMessages


@pytest.fixture
def messages(tmp_path: Path) -> OracleMessages:
    db = Database(f"sqlite:///{tmp_path / 'node.db'}")
    db.migrate()
    return OracleMessages(db)


def test_migrations_create_exactly_the_message_model_schema(messages: OracleMessages) -> None:
    with messages.db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diffs if "oracle_message" in repr(d)] == []


def test_the_same_bytes_are_stored_once_per_organisation(messages: OracleMessages) -> None:
    first = messages.receive(4, "terminal", b"UNA:+.? 'one'", "a b.edi")
    again = messages.receive(4, "terminal", b"UNA:+.? 'one'", "other.edi")
    elsewhere = messages.receive(9, "terminal", b"UNA:+.? 'one'", None)

    assert (first.duplicate, again.duplicate, elsewhere.duplicate) == (False, True, False)
    assert again.message.id == first.message.id and again.message.filename == "a_b.edi"
    assert elsewhere.message.id != first.message.id
    assert [m.id for m in messages.queued(4, "terminal")] == [first.message.id]
    assert [m.id for m in messages.queued(9, "terminal")] == [elsewhere.message.id]
    assert messages.queued(4, "customs") == []


def test_queued_messages_come_in_arrival_order_page_by_page(messages: OracleMessages) -> None:
    ids = [messages.receive(4, "customs", f"message {i}".encode()).message.id for i in range(5)]
    first = messages.queued(4, "customs", limit=2)
    rest = messages.queued(4, "customs", after=first[-1].id, limit=10)
    assert [m.id for m in first + rest] == ids


def test_a_final_outcome_is_kept_and_leaves_the_queue(messages: OracleMessages) -> None:
    message = messages.receive(4, "customs", b"poison").message
    messages.note(message.id, {"code": "WAITING", "reason": "later"}, [])
    assert messages.get(4, message.id).reason == {"code": "WAITING", "reason": "later"}

    messages.finish(message.id, MessageStatus.DEAD_LETTERED, {"code": "SYNTAX_ERROR"}, [])
    messages.finish(message.id, MessageStatus.DONE, None, [])
    messages.note(message.id, None, [])

    stored = messages.get(4, message.id)
    assert (stored.status, stored.reason) == ("dead-lettered", {"code": "SYNTAX_ERROR"})
    assert messages.queued(4, "customs") == []
    assert messages.oldest_queued(4, "customs") is None
    with pytest.raises(ValueError):
        messages.finish(message.id, MessageStatus.QUEUED, None, [])
