"""Bodies of the event feed and webhook routes."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from ledger_api.schemas.common import ApiModel


class LedgerEvent(ApiModel):
    id: str = Field(description="Monotonically increasing; resume the stream with Last-Event-ID.")
    type: str = Field(examples=["GatedOut"])
    contract: str
    block_number: int
    tx_hash: str
    data: dict[str, Any]


class WebhookCreate(ApiModel):
    url: str = Field(min_length=8, max_length=2000, examples=["https://tms.example/portledger"])
    event_types: list[str] = Field(
        default_factory=list, max_length=50, description="Event names; empty = every event you may see."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://tms.example/portledger", "eventTypes": ["GatedOut", "GatedIn"]}]
        }
    )


class WebhookView(ApiModel):
    id: str
    url: str
    event_types: list[str]
    active: bool
    created_at: str


class WebhookCreated(WebhookView):
    secret: str = Field(description="HMAC-SHA256 key of the signatures; shown once.")


class WebhookDeliveryView(ApiModel):
    id: str
    event_id: str
    event_type: str
    attempt: int
    status: str = Field(examples=["delivered", "failed", "given_up"])
    response_status: int | None
    error: str | None
    duration_ms: int
    created_at: str
