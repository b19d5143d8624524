"""The body of ``GET /v1/containers/{containerNumber}/release-status`` (docs/design.md §1.3)."""

from __future__ import annotations

from pydantic import Field

from ledger_api.schemas.common import ApiModel


class ReleaseReason(ApiModel):
    """Why the container may not leave: a stable code and a sentence."""

    code: str = Field(
        examples=["NO_CUSTOMS_RELEASE"],
        description="NO_RIGHT, RIGHT_NOT_ACTIVE, RIGHT_NOT_YET_VALID, RIGHT_EXPIRED, NOT_NOMINATED, "
        "BILL_NOT_ACCOMPLISHED, NO_CUSTOMS_RELEASE or CUSTOMS_HOLD",
    )
    message: str
    details: dict[str, str] = Field(default_factory=dict)


class ReleaseCandidate(ApiModel):
    """One right for the container (or, with no right yet, one bill that lists it) and its reasons."""

    bill_id: str
    right_id: str | None
    status: str | None
    holder: str | None
    terminal: str | None
    haulier: str | None = Field(description="The haulier that may collect now (the holder, a haulier)")
    by_release_code: bool
    ready: bool
    reasons: list[ReleaseReason]


class ReleaseStatus(ApiModel):
    """The answer for the gate: ready or not, for whom, and every reason of the best candidate."""

    container_number: str
    ready: bool
    right_id: str | None
    bill_id: str | None
    haulier: str | None
    by_release_code: bool = Field(description="Collection with the holder's one-time release code")
    reasons: list[ReleaseReason]
    checked_at: int = Field(
        description="The latest block's time (Unix seconds) the windows were compared with"
    )
    rights: list[ReleaseCandidate]
