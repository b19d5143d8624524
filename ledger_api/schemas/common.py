"""Shapes every route shares: the camelCase base model, the list page and the problem body."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

TITLE_ID_PATTERN = r"^0x[0-9a-fA-F]{64}$"
ORG_ID_PATTERN = r"^[1-9][0-9]{0,9}$"
HEX32_PATTERN = r"^0x[0-9a-fA-F]{64}$"
"""A title id, attestation uid, right id or hash: 0x and 64 hex digits."""


class ApiModel(BaseModel):
    """Base of every body: snake_case in Python, camelCase on the wire; unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Page(ApiModel, Generic[T]):
    """A list answer: ``{"items": [...], "nextCursor": "…" | null}``."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )


class FieldError(ApiModel):
    path: str = Field(examples=["$.document.carrierCode"])
    rule: str = Field(examples=["missing"])
    message: str = Field(examples=["Field required"])
    limit: int | float | None = Field(
        default=None,
        description="The bound the value broke, when the rule has one (maxLength, minimum…).",
        examples=[120],
    )


class ProblemBody(BaseModel):
    """RFC 9457 problem details with PortLedger's stable ``code``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://portledger.example/problems/bill-pledged",
                    "title": "Refused by the contract: bill pledged",
                    "status": 409,
                    "code": "BILL_PLEDGED",
                    "detail": "the contract refuses this: BillPledged; nothing was queued or sent",
                    "instance": "/v1/bills/0x5c…/actions",
                    "error": "BillPledged",
                    "args": {"billId": "0x5c…", "pledgee": 4},
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    args: dict[str, Any] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemBody, "content": {"application/problem+json": {}}, "description": text}
    for status, text in {
        401: "Missing, unknown or revoked API key (UNAUTHENTICATED)",
        403: "Your organisation may not do this (FORBIDDEN)",
        404: "Unknown or not visible (NOT_FOUND)",
        409: "Refused by the contract's current state, or IDEMPOTENCY_CONFLICT",
        413: "Body larger than 1 MiB (PAYLOAD_TOO_LARGE)",
        415: "Body is not application/json (UNSUPPORTED_MEDIA_TYPE)",
        422: "Invalid input: VALIDATION_FAILED (every failing path), UNKNOWN_ORGANISATION, a bad argument",
    }.items()
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of these problem statuses (all of them when none given)."""
    return {k: v for k, v in PROBLEM_RESPONSES.items() if not statuses or k in statuses}
