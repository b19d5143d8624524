"""Bodies of the attestation, schema and agency report routes (docs/design.md §1.4, §1.5)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ledger_api.schemas.common import HEX32_PATTERN, ORG_ID_PATTERN, ApiModel
from ledger_api.schemas.operations import Operation

HEX_PATTERN = r"^0x([0-9a-fA-F]{2})*$"
UINT64 = (1 << 64) - 1
ROLE_PATTERN = r"^[A-Z_]{3,20}$"

DataField = str | dict[str, Any]
DATA_DESCRIPTION = "0x-prefixed hex of the ABI-encoded fields, or the schema's fields by name as JSON."


class SchemaCreate(ApiModel):
    name: str = Field(min_length=1, max_length=64, examples=["AEO_STATUS"])
    definition: str = Field(
        min_length=1, max_length=1000, examples=["uint64 validUntil,string aeoNumber,string level"]
    )
    revocable: bool
    expiring: bool = False
    attester_roles: list[str] = Field(min_length=1, max_length=9, examples=[["CUSTOMS"]])
    required_recognitions: int = Field(default=0, ge=0, le=255)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "AEO_STATUS",
                    "definition": "uint64 validUntil,string aeoNumber,string level",
                    "revocable": True,
                    "expiring": True,
                    "attesterRoles": ["CUSTOMS"],
                }
            ]
        }
    )


class SchemaAccepted(ApiModel):
    operation: Operation
    schema_id: str = Field(description="The id the schema will have (a pure function of the record).")


class AttestationCreate(ApiModel):
    schema_id: str = Field(pattern=HEX32_PATTERN)
    subject: str = Field(
        min_length=1,
        max_length=66,
        description="32-byte hex (a title id), an ISO 6346 container number or an organisation id.",
        examples=["MSKU1234565"],
    )
    data: DataField = Field(description=DATA_DESCRIPTION)
    ref_uid: str | None = Field(default=None, pattern=HEX32_PATTERN)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "schemaId": "0x1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d",
                    "subject": "4",
                    "data": {"validUntil": 1830000000, "aeoNumber": "CN310000AEO0001", "level": "ADVANCED"},
                }
            ]
        }
    )


class AttestationReplace(ApiModel):
    data: DataField = Field(description=DATA_DESCRIPTION)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"data": {"validUntil": 1861000000, "aeoNumber": "CN310000AEO0001", "level": "ADVANCED"}}
            ]
        }
    )


class ReportSubmit(ApiModel):
    """A k-of-n signed agency report; anyone may relay it."""

    agency: str = Field(
        pattern=ORG_ID_PATTERN,
        description="The reporting agency (part of what is signed; its signer set applies).",
    )
    action: Literal["ATTEST", "REVOKE"] = Field(
        default="ATTEST", description="ATTEST makes an attestation; REVOKE revokes the agency's `target`."
    )
    target: str | None = Field(
        default=None,
        pattern=HEX32_PATTERN,
        description="ATTEST: the referenced attestation uid (optional); REVOKE: the uid revoked (required).",
    )
    schema_id: str = Field(pattern=HEX32_PATTERN, alias="schema")
    subject: str = Field(min_length=1, max_length=66)
    source_id: str = Field(pattern=HEX32_PATTERN)
    sequence: int = Field(ge=0, le=UINT64)
    deadline: int = Field(ge=0, le=UINT64)
    data: DataField = Field(description=DATA_DESCRIPTION)
    signatures: list[str] = Field(min_length=1, max_length=64)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agency": "7",
                    "action": "ATTEST",
                    "schema": "0x2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e",
                    "subject": "0x5c3a9f0e6d1b2a4c8e7f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
                    "sourceId": "0x3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f",
                    "sequence": 1795000000,
                    "deadline": 1795003600,
                    "data": {
                        "declarationNumber": "223320260000123456",
                        "customsOfficeCode": "2233",
                        "releasedAt": 1795000000,
                    },
                    "signatures": [
                        "0xababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab",
                        "0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
                    ],
                }
            ]
        }
    )


class ReportAccepted(ApiModel):
    """The report was accepted earlier and this node holds no operation of your organisation that made
    it (another organisation or node relayed it; operations are shown only to the organisation that
    sent them): nothing was queued; this is the attestation it made. When your organisation relayed
    it, the answer is that operation instead, as for any write."""

    already_accepted: bool = True
    uid: str
    operation: None = Field(default=None, description="Always null here: no operation of yours made it.")


class AttestationView(ApiModel):
    uid: str
    schema_id: str
    schema_name: str | None
    subject: str
    attester: str
    ref_uid: str | None
    time: int
    expiration_time: int
    revocation_time: int
    recognitions: int
    effective: bool
    data: str
    fields: dict[str, Any] | None
    block_number: int
    tx_hash: str
