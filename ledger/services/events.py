"""What happened on the ledger, as the service shows it: contract events read back by name, and the
ordered, per-organisation event feed behind ``GET /v1/events`` (Server-Sent Events) and webhooks.

The feed is the chain's own log order, as this node's index has projected it: an event's id is
``block_number * 100_000 + log_index``, a monotonically increasing sequence that a client resumes from
with ``Last-Event-ID``. Who sees an event is :mod:`ledger.services.audience` (the facts table of the
design); the event's data are its arguments as the index stores them (bytes and integers beyond 2^53 as
0x-hex, so a title id reads as the API writes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import and_, col, or_, select

from ledger.chain import DecodedEvent
from ledger.db import Database
from ledger.index.models import IndexEvent
from ledger.services.audience import EVERY_MEMBER, Audiences

SEQUENCE_BASE = 100_000  # more logs than this in one block is far beyond any block gas limit


def sequence_of(event: DecodedEvent) -> int:
    return event.block_number * SEQUENCE_BASE + event.log_index


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One event of the feed."""

    id: int
    name: str
    contract: str
    block_number: int
    tx_hash: str
    args: dict[str, Any]
    parties: frozenset[int] | None
    """Who may see it; None: every member."""

    def visible_to(self, org: int) -> bool:
        return self.parties is None or org in self.parties

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.name,
            "contract": self.contract,
            "blockNumber": self.block_number,
            "txHash": self.tx_hash,
            "data": self.args,
        }


class EventFeed:
    """The ordered event feed of the deployment's contracts, read from this node's index (an event is in
    the feed once projected, as an operation is ``mined`` once projected) and filtered per organisation
    by :class:`~ledger.services.audience.Audiences`. A reader keeps its place with :meth:`page`'s second
    answer, the position it has read through, so events it may not see are never read twice."""

    def __init__(self, db: Database, audiences: Audiences):
        self.db = db
        self.audiences = audiences

    def page(
        self, org: int, last_id: int = -1, limit: int = 500, scan: int = 2_000
    ) -> tuple[list[LedgerEvent], int]:
        """Up to ``limit`` events visible to ``org`` after ``last_id``, oldest first, from at most ``scan``
        projected events; and the id read through (``last_id`` when there was nothing new)."""
        block, log_index = divmod(last_id, SEQUENCE_BASE) if last_id >= 0 else (-1, 0)
        out: list[LedgerEvent] = []
        through = last_id
        with self.db.transaction() as session:
            rows = session.exec(
                select(IndexEvent)
                .where(
                    or_(
                        col(IndexEvent.block_number) > block,
                        and_(col(IndexEvent.block_number) == block, col(IndexEvent.log_index) > log_index),
                    )
                )
                .order_by(col(IndexEvent.block_number), col(IndexEvent.log_index))
                .limit(scan)
            ).all()
            memo: dict[Any, Any] = {}
            for row in rows:
                audience = self.audiences.of_event(session, row.contract, row.name, row.args, memo)
                through = row.block_number * SEQUENCE_BASE + row.log_index
                if audience is EVERY_MEMBER or org in audience:
                    out.append(
                        LedgerEvent(
                            id=through,
                            name=row.name,
                            contract=row.contract,
                            block_number=row.block_number,
                            tx_hash=row.tx_hash,
                            args=dict(row.args),
                            parties=audience if audience is not EVERY_MEMBER else None,
                        )
                    )
                    if len(out) >= limit:
                        break
        return out, through

    def head(self) -> int:
        """The id of the last projected event (-1 before any): a new reader's "from now on"."""
        with self.db.transaction() as session:
            row = session.exec(
                select(IndexEvent.block_number, IndexEvent.log_index)
                .order_by(col(IndexEvent.block_number).desc(), col(IndexEvent.log_index).desc())
                .limit(1)
            ).first()
        return -1 if row is None else int(row[0]) * SEQUENCE_BASE + int(row[1])

    def after(self, org: int, last_id: int = -1, limit: int = 500) -> list[LedgerEvent]:
        """Up to ``limit`` events visible to ``org`` with an id above ``last_id``, oldest first."""
        events, _ = self.page(org, last_id, limit)
        return events
