"""The body of ``GET /v1/bills/{id}/timeline``: one title's causal chain in chain order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from ledger.services.timeline import TimelineEntry
from ledger_api.schemas.common import ApiModel


class TimelineItem(ApiModel):
    """One event of the chain: where it is (block, log index), when, who acted, and what it means."""

    block_number: int
    log_index: int
    tx_hash: str
    time: datetime = Field(description="Block time of the event")
    kind: Literal["title", "pledge", "attestation", "release", "gate"]
    event: str = Field(examples=["BillActed", "Attested", "ReleaseGranted", "GatedOut"])
    action: str = Field(
        description="DCSA action code, attestation schema name or release event",
        examples=["SURRENDER_FOR_DELIVERY", "CUSTOMS_RELEASE", "GatedOut"],
    )
    actor: str | None = Field(description="The acting organisation's id")
    summary: str = Field(examples=["Ocean Line accepted the surrender"])
    refs: dict[str, str] = Field(
        default_factory=dict, description="Ids the entry is about: rightId, containerNumber, uid, subject"
    )

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineItem:
        return cls(
            block_number=entry.block_number,
            log_index=entry.log_index,
            tx_hash=entry.tx_hash,
            time=datetime.fromtimestamp(entry.time, UTC),
            kind=entry.kind,  # type: ignore[arg-type]
            event=entry.event,
            action=entry.action,
            actor=str(entry.actor) if entry.actor else None,
            summary=entry.summary,
            refs=entry.refs,
        )


class Timeline(ApiModel):
    bill_id: str
    items: list[TimelineItem]
