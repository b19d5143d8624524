"""Bodies of the release and EIR routes (docs/design.md §1.3)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from ledger_api.schemas.common import ORG_ID_PATTERN, TITLE_ID_PATTERN, ApiModel
from ledger_api.schemas.operations import Operation

UINT64 = (1 << 64) - 1
UINT48 = (1 << 48) - 1


class ReleaseGrant(ApiModel):
    """A carrier grants one release right per container of an accomplished B/L (or a sea waybill) to
    the organisation entitled to the cargo."""

    bill_id: str = Field(pattern=TITLE_ID_PATTERN, description="The title id.")
    container_numbers: list[str] = Field(
        min_length=1, max_length=100, description="ISO 6346 numbers with a valid check digit."
    )
    terminal: str = Field(pattern=ORG_ID_PATTERN, description="The terminal organisation id.")
    depot: str | None = Field(
        default=None,
        pattern=ORG_ID_PATTERN,
        description="The depot that may also record the empty return (gate-in); omitted: only the terminal.",
    )
    valid_from: int = Field(ge=0, le=UINT48, description="Start of the pick-up window (Unix seconds).")
    valid_until: int = Field(ge=0, le=UINT48, description="End of the pick-up window (Unix seconds).")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "billId": "0x5c3a9f0e6d1b2a4c8e7f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
                    "containerNumbers": ["MSKU1234565"],
                    "terminal": "4",
                    "validFrom": 1795000000,
                    "validUntil": 1795600000,
                }
            ]
        }
    )


class Nomination(ApiModel):
    """The holder passes the right down the chain (consignee → forwarder → haulier)."""

    nominee: str = Field(pattern=ORG_ID_PATTERN, examples=["6"])

    model_config = ConfigDict(json_schema_extra={"examples": [{"nominee": "6"}]})


class ReleaseCodeRequest(ApiModel):
    """The holder asks for a one-time release code for a haulier without an account."""

    generate: Literal[True] = Field(default=True, description="The code is always generated here.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"generate": True}]})


class ReleaseCodeIssued(ApiModel):
    """The operation that stores the code's salted hash, and the code itself, shown this once."""

    operation: Operation
    release_code: str | None = Field(
        description="128 random bits as hex; only keccak256(abi.encode(rightId, keccak256(code))) goes on "
        "chain, and at the gate only keccak256(code). Null on an idempotent retry: the code is not kept."
    )


class Eir(ApiModel):
    """Equipment interchange data from the gate (personal data such as the plate is hashed on chain)."""

    laden: bool = Field(description="true = full, false = empty.")
    seals: list[str] = Field(default_factory=list, max_length=20, examples=[["SEAL123456"]])
    damage_codes: list[str] = Field(default_factory=list, max_length=50, examples=[["DT", "BR"]])
    condition: str | None = Field(default=None, max_length=200, examples=["sound"])
    truck_plate: str = Field(default="", max_length=20, examples=["沪A12345"])
    event_time: int = Field(ge=0, le=UINT64, description="Time of the gate move (Unix seconds).")
    remarks: str | None = Field(default=None, max_length=500)


class GateOut(ApiModel):
    """The terminal records gate-out: for the truck's haulier organisation, or with a release code."""

    eir: Eir
    haulier: str | None = Field(default=None, pattern=ORG_ID_PATTERN, examples=["6"])
    release_code: str | None = Field(default=None, pattern=r"^(0x)?[0-9a-fA-F]{2,128}$")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "haulier": "6",
                    "eir": {
                        "laden": True,
                        "seals": ["SEAL123456"],
                        "condition": "sound",
                        "truckPlate": "沪A12345",
                        "eventTime": 1795003600,
                    },
                }
            ]
        }
    )


class GateIn(ApiModel):
    """A terminal (or empty depot) records the container's return."""

    eir: Eir

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"eir": {"laden": False, "condition": "sound", "eventTime": 1795090000}}]
        }
    )


class ReleaseRecord(ApiModel):
    kind: str = Field(examples=["ReleaseGranted"])
    record_id: str
    previous_record_id: str
    block_number: int
    tx_hash: str
    details: dict[str, object]


class Release(ApiModel):
    right_id: str
    bill_id: str
    container_number: str
    carrier: str
    holder: str
    terminal: str
    depot: str | None = None
    valid_from: int
    valid_until: int
    status: Literal["GRANTED", "REVOKED", "GATED_OUT", "GATED_IN"]
    has_release_code: bool
    records: list[ReleaseRecord]


class EirView(ApiModel):
    direction: Literal["OUT", "IN"]
    right_id: str
    bill_id: str
    container_number: str
    terminal: str
    haulier: str | None
    by_release_code: bool
    record_id: str
    previous_record_id: str
    laden: bool
    seals_hash: str
    damage_codes: list[str]
    truck_plate_hash: str
    event_time: int
    eir_checksum: str
    block_number: int
    tx_hash: str
