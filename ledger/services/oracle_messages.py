"""Inbound oracle messages: what each organisation sent to an agency's oracle, and what became of it.

Owns the ``oracle_message`` table (migration ``0006_oracle_messages``). A message belongs to the
organisation that sent it: posted through the API by that organisation (``POST
/v1/oracles/{agency}/messages``, which checks that it holds the agency's role), or dropped as a file
into the folder inbox of that organisation's own runner. A runner is configured for one organisation
and asks only for that organisation's queued messages, so one member's message can never make another
member's runner sign or send anything.

A message is identified within its organisation by the SHA-256 of its bytes: receiving the same bytes
again stores nothing and returns the first message. ``status`` moves ``queued → done | rejected |
dead-lettered`` and never back; while a message is queued, ``reason`` says why its last pass could not
finish it (a gate-out waiting for the customs release). ``operations`` lists the chain writes its
actions became, as far as the runner knows them.

This module stores and reads; it does not parse, sign or submit (the runner does). A message posted
through the API is first read at the door by a :class:`MessageCheck` (the oracles' adapter registry,
handed in by the entry point that builds the app, since this layer may not import ``oracles``): a
message no adapter can read raises :class:`~ledger.services.errors.MessageUnreadable` and nothing is
stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, DateTime, Index, LargeBinary, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from ledger.db import Database
from ledger.outbox.ids import new_ulid
from ledger.outbox.models import utcnow
from ledger.services.errors import NotFound

MESSAGE_ID_PATTERN = r"^msg_[0-9A-HJKMNP-TV-Z]{26}$"
MAX_FILENAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class MessageStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    REJECTED = "rejected"
    DEAD_LETTERED = "dead-lettered"


FINAL_STATUSES = frozenset({MessageStatus.DONE, MessageStatus.REJECTED, MessageStatus.DEAD_LETTERED})


class OracleMessage(SQLModel, table=True):
    """One inbound message of one organisation for one agency's oracle."""

    __tablename__ = "oracle_message"
    __table_args__ = (
        UniqueConstraint("org", "sha256", name="uq_oracle_message_org_sha256"),
        Index("ix_oracle_message_queue", "org", "agency", "status", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    org: int
    agency: str = Field(max_length=16)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_type=LargeBinary)
    filename: str | None = Field(default=None, max_length=MAX_FILENAME)
    received_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    status: str = Field(default=MessageStatus.QUEUED.value, max_length=16)
    reason: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    operations: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))

    @property
    def name(self) -> str:
        """How logs and pass reports call it: the file name it came under, else its id."""
        return self.filename or self.id

    def public(self) -> dict[str, Any]:
        """The message as the API shows it (camelCase keys, no content)."""
        return {
            "id": self.id,
            "agency": self.agency,
            "sha256": self.sha256,
            "filename": self.filename,
            "status": self.status,
            "reason": self.reason,
            "operations": self.operations or [],
            "receivedAt": _iso(self.received_at),
            "updatedAt": _iso(self.updated_at),
        }


class MessageCheck(Protocol):
    """Reads a message as the agency's runner will; raises
    :class:`~ledger.services.errors.MessageUnreadable` if it cannot."""

    def __call__(self, agency: str, content: bytes, filename: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class Received:
    """The stored message; ``duplicate`` when these bytes were already there (nothing was stored)."""

    message: OracleMessage
    duplicate: bool


def safe_filename(name: str | None) -> str | None:
    """A sender's file name reduced to ``[A-Za-z0-9._-]`` (kept for logs and adapter sniffing)."""
    if not name:
        return None
    cleaned = _UNSAFE.sub("_", name).strip("._")[:MAX_FILENAME]
    return cleaned or None


def _iso(moment: datetime) -> str:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


class OracleMessages:
    """Receive messages per organisation; hand a runner its organisation's queue; record outcomes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def receive(
        self,
        org: int,
        agency: str,
        content: bytes,
        filename: str | None = None,
        *,
        check: MessageCheck | None = None,
    ) -> Received:
        """Store ``content`` once per organisation. With ``check``, a message it cannot read raises
        :class:`~ledger.services.errors.MessageUnreadable` before anything is stored (bytes already
        stored answer as the duplicate they are)."""
        digest = hashlib.sha256(content).hexdigest()
        existing = self._by_digest(org, digest)
        if existing is not None:
            return Received(existing, duplicate=True)
        if check is not None:
            check(agency, content, safe_filename(filename))
        row = OracleMessage(
            id="msg_" + new_ulid(),
            org=org,
            agency=agency,
            sha256=digest,
            content=content,
            filename=safe_filename(filename),
        )
        try:
            with self.db.transaction(lock=True) as session:
                session.add(row)
        except IntegrityError:  # the same bytes arrived concurrently: the first one stays
            first = self._by_digest(org, digest)
            if first is None:
                raise
            return Received(first, duplicate=True)
        return Received(row, duplicate=False)

    def get(self, org: int, message_id: str) -> OracleMessage:
        """The message if it belongs to ``org``; :class:`NotFound` otherwise (also for another's)."""
        with self.db.transaction() as session:
            row = session.get(OracleMessage, message_id)
        if row is None or row.org != org:
            raise NotFound(f"no oracle message {message_id}")
        return row

    def queued(self, org: int, agency: str, *, after: str = "", limit: int = 100) -> list[OracleMessage]:
        """``org``'s queued messages for ``agency`` in the order they arrived, from id ``after`` on."""
        query = (
            select(OracleMessage)
            .where(
                OracleMessage.org == org,  # type: ignore[arg-type]
                OracleMessage.agency == agency,  # type: ignore[arg-type]
                OracleMessage.status == MessageStatus.QUEUED.value,  # type: ignore[arg-type]
                OracleMessage.id > after,  # type: ignore[arg-type]
            )
            .order_by(OracleMessage.id)
            .limit(limit)
        )
        with self.db.transaction() as session:
            return list(session.scalars(query).all())

    def oldest_queued(self, org: int, agency: str) -> datetime | None:
        query = select(func.min(OracleMessage.received_at)).where(
            OracleMessage.org == org,  # type: ignore[arg-type]
            OracleMessage.agency == agency,  # type: ignore[arg-type]
            OracleMessage.status == MessageStatus.QUEUED.value,  # type: ignore[arg-type]
        )
        with self.db.transaction() as session:
            oldest: datetime | None = session.scalar(query)
        return oldest

    def note(self, message_id: str, reason: dict[str, Any] | None, operations: list[dict[str, Any]]) -> None:
        """A pass left the message queued: why, and the writes done so far."""
        self._update(message_id, MessageStatus.QUEUED, reason, operations)

    def finish(
        self,
        message_id: str,
        status: MessageStatus,
        reason: dict[str, Any] | None,
        operations: list[dict[str, Any]],
    ) -> OracleMessage:
        """Record the final outcome; a message already final keeps the outcome it has."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"{status} is not a final status")
        return self._update(message_id, status, reason, operations)

    def _update(
        self,
        message_id: str,
        status: MessageStatus,
        reason: dict[str, Any] | None,
        operations: list[dict[str, Any]],
    ) -> OracleMessage:
        with self.db.transaction(lock=True) as session:
            row = session.get(OracleMessage, message_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no oracle message {message_id}")
            if row.status == MessageStatus.QUEUED.value:
                row.status = status.value
                row.reason = reason
                row.operations = operations or None
                row.updated_at = utcnow()
                session.add(row)
            return row

    def _by_digest(self, org: int, digest: str) -> OracleMessage | None:
        query = select(OracleMessage).where(
            OracleMessage.org == org,  # type: ignore[arg-type]
            OracleMessage.sha256 == digest,  # type: ignore[arg-type]
        )
        with self.db.transaction() as session:
            return session.scalars(query).one_or_none()
