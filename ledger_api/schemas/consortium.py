"""Bodies of the consortium routes: the member directory and governance proposals (docs/design.md §1.1)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from ledger_api.schemas.common import ORG_ID_PATTERN, ApiModel

ProposalKindName = Literal[
    "ADMIT",
    "SUSPEND",
    "REINSTATE",
    "GRANT_ROLE",
    "REVOKE_ROLE",
    "CHANGE_THRESHOLD",
    "ADD_GOVERNOR",
    "REMOVE_GOVERNOR",
    "REPLACE_ADMIN",
    "REGISTER_SCHEMA",
    "SET_SCHEMA_ACTIVE",
    "SET_REPORT_SIGNERS",
]
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


class OrganisationView(ApiModel):
    id: str
    legal_id: str
    name: str
    roles: list[str]
    suspended: bool
    encryption_key: str


class ProposalCreate(ApiModel):
    """A governor proposes a membership change; the arguments its kind needs, by name."""

    kind: ProposalKindName
    org: str | None = Field(
        default=None,
        pattern=ORG_ID_PATTERN,
        description="SUSPEND, REINSTATE, *_ROLE, REPLACE_ADMIN, SET_REPORT_SIGNERS (the agency)",
    )
    role: str | None = Field(
        default=None, max_length=20, description="GRANT_ROLE, REVOKE_ROLE", examples=["HAULIER"]
    )
    threshold: int | None = Field(
        default=None, ge=1, le=1000, description="CHANGE_THRESHOLD, SET_REPORT_SIGNERS"
    )
    governor: str | None = Field(default=None, pattern=ADDRESS_PATTERN, description="*_GOVERNOR")
    legal_id: str | None = Field(default=None, max_length=64, description="ADMIT")
    name: str | None = Field(default=None, max_length=200, description="ADMIT")
    roles: list[str] | None = Field(default=None, max_length=9, description="ADMIT")
    encryption_key: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{64}$", description="ADMIT")
    admin: str | None = Field(default=None, pattern=ADDRESS_PATTERN, description="ADMIT, REPLACE_ADMIN")
    keep_accounts: list[str] | None = Field(
        default=None,
        max_length=32,
        description=(
            "REPLACE_ADMIN: accounts that stay members; every other account leaves (the stolen key and "
            "anything its thief added)"
        ),
    )
    schema_id: str | None = Field(
        default=None, pattern=r"^0x[0-9a-fA-F]{64}$", description="SET_SCHEMA_ACTIVE, SET_REPORT_SIGNERS"
    )
    active: bool | None = Field(default=None, description="SET_SCHEMA_ACTIVE")
    signers: list[str] | None = Field(default=None, max_length=32, description="SET_REPORT_SIGNERS")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "GRANT_ROLE", "org": "6", "role": "HAULIER"}]}
    )


class ProposalView(ApiModel):
    id: str
    kind: ProposalKindName
    executed: bool
    approvals: int
    created_at: int
