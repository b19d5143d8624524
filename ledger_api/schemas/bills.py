"""Bodies of the e-B/L routes: issue, actions, amend, the bill, its history, verify."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from ledger.domain import codes
from ledger.services.bills import ROLES, BillView, HistoryEntry, PublicBillView, Verification
from ledger_api.schemas.common import HEX32_PATTERN, ORG_ID_PATTERN, ApiModel

# The vocabularies come from ledger.domain.codes (and the service's roles), never written out here.
# ``Literal[names]`` with a tuple is the same type as the names listed one by one, so pydantic and the
# OpenAPI document list the same enums; mypy only reads literals written out, so it sees ``str``.
if TYPE_CHECKING:
    ActionCode = str
    BillStatus = str
    BillKindCode = str
    PledgeStatusCode = str
    SurrenderReasonCode = str
    BillRole = str
else:
    ActionCode = Literal[codes.API_BILL_ACTIONS]
    BillStatus = Literal[codes.SHOWN_BILL_STATUSES]
    BillKindCode = Literal[codes.BILL_KIND]
    PledgeStatusCode = Literal[codes.SHOWN_PLEDGE_STATUSES]
    SurrenderReasonCode = Literal[codes.GIVEN_SURRENDER_REASONS]
    BillRole = Literal[ROLES]

_DOCUMENT_EXAMPLE: dict[str, Any] = {
    "transportDocumentReference": "DOLU2611270001",
    "transportDocumentStatus": "ISSUED",
    "transportDocumentTypeCode": "BOL",
    "isToOrder": True,
    "carrierCode": "DOLU",
    "carrierCodeListProvider": "SMDG",
    "…": "the rest of a DCSA eBL 3.0.3 TransportDocument",
}


class IssueBill(ApiModel):
    """ISSUE: the carrier (the caller) issues ``document`` to ``issueTo``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"document": _DOCUMENT_EXAMPLE, "issueTo": "5"}]}
    )

    document: dict[str, Any] = Field(description="A DCSA eBL 3.0.3 Transport Document, status ISSUED.")
    issue_to: str = Field(pattern=ORG_ID_PATTERN, description="Org id of the first possessor (shipper).")


class AmendBill(ApiModel):
    """Re-issue of the amended document (carrier, after SACC of a surrender for amendment)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"document": _DOCUMENT_EXAMPLE}]})

    document: dict[str, Any]


class PledgeTerms(ApiModel):
    """What a pledge request names; the bank accepts exactly these terms, by their hash."""

    amount: str = Field(pattern=r"^[0-9]{1,30}(\.[0-9]{1,6})?$", examples=["1250000.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["USD"])
    registration_ref: str = Field(min_length=1, max_length=32, examples=["CN-PLEDGE-2026-000123"])
    accept_by: AwareDatetime = Field(
        examples=["2026-12-09T23:59:59Z"],
        description="The bank may accept until then; later the request lapses.",
    )
    maturity: AwareDatetime = Field(
        examples=["2027-06-30T23:59:59Z"],
        description="After this the bank may enforce without a default (must lie after acceptBy).",
    )
    notice_period_seconds: int = Field(
        ge=0,
        le=2**32 - 1,
        examples=[604800],
        description="How long a PLEDGE_DEFAULT attestation must have been effective before enforcement.",
    )


class BillActionRequest(ApiModel):
    """One DCSA action on a title by the caller's organisation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"action": "TRANSFER", "recipient": "6", "remark": "to the consignee"},
                {"action": "SURRENDER_FOR_AMENDMENT", "reasonCode": "COD"},
                {
                    "action": "PLEDGE",
                    "recipient": "9",
                    "pledge": {
                        "amount": "1250000.00",
                        "currency": "USD",
                        "registrationRef": "CN-PLEDGE-2026-000123",
                        "acceptBy": "2026-12-09T23:59:59Z",
                        "maturity": "2027-06-30T23:59:59Z",
                        "noticePeriodSeconds": 604800,
                    },
                },
                {"action": "ACCEPT_PLEDGE", "termsHash": "0x8e1f" + "0" * 60},
                {"action": "ENFORCE_PLEDGE", "defaultAttestation": "0x41c7" + "0" * 60},
                {"action": "SACC"},
            ]
        }
    )

    action: ActionCode
    recipient: str | None = Field(default=None, pattern=ORG_ID_PATTERN)
    reason_code: SurrenderReasonCode | None = None
    remark: str | None = Field(
        default=None, max_length=2000, description="Kept off chain; its hash is recorded."
    )
    pledge: PledgeTerms | None = None
    terms_hash: str | None = Field(
        default=None,
        pattern=HEX32_PATTERN,
        description="ACCEPT_PLEDGE: the pledge's termsHash as you approved it (see the bill's pledge).",
    )
    default_attestation: str | None = Field(
        default=None,
        pattern=HEX32_PATTERN,
        description="ENFORCE_PLEDGE before maturity: your PLEDGE_DEFAULT attestation about this pledge.",
    )


class Pledge(ApiModel):
    status: PledgeStatusCode
    pledgee: str
    nonce: int = Field(description="The request's number on this title; names it in its default subject.")
    pledgor: str | None
    amount: str
    currency: str
    registration_ref: str
    accept_by: datetime
    maturity: datetime
    notice_period_seconds: int
    terms_hash: str = Field(description="What the bank's ACCEPT_PLEDGE must carry.")
    accepted_at: datetime | None


class Bill(ApiModel):
    """A title as the ledger knows it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0x5c3a" + "0" * 60,
                    "transportDocumentReference": "DOLU2611270001",
                    "carrier": "4",
                    "kind": "NEGOTIABLE",
                    "status": "ISSUED",
                    "possessor": "5",
                    "titleHolder": "5",
                    "consignee": None,
                    "version": 1,
                    "documentChecksum": "9f2c" + "0" * 60,
                    "cid": "bafkrei…",
                    "pledge": None,
                    "issuedAtBlock": 42,
                }
            ]
        }
    )

    id: str
    transport_document_reference: str
    carrier: str
    kind: BillKindCode
    status: str
    possessor: str | None
    title_holder: str | None
    consignee: str | None
    version: int
    document_checksum: str
    cid: str
    pledge: Pledge | None
    issued_at_block: int

    @classmethod
    def of(cls, view: BillView) -> Bill:
        pledge = None
        if view.pledge is not None:
            p = view.pledge
            pledge = Pledge(
                status=p.status,
                pledgee=p.pledgee,
                nonce=p.nonce,
                pledgor=p.pledgor,
                amount=p.amount,
                currency=p.currency,
                registration_ref=p.registration_ref,
                accept_by=p.accept_by,
                maturity=p.maturity,
                notice_period_seconds=p.notice_period_seconds,
                terms_hash=p.terms_hash,
                accepted_at=p.accepted_at,
            )
        return cls(
            id=view.id,
            transport_document_reference=view.transport_document_reference,
            carrier=view.carrier,
            kind=view.kind,
            status=view.status,
            possessor=view.possessor,
            title_holder=view.title_holder,
            consignee=view.consignee,
            version=view.version,
            document_checksum=view.document_checksum,
            cid=view.cid,
            pledge=pledge,
            issued_at_block=view.issued_at_block,
        )


class PublicBill(ApiModel):
    """What every member may know of a title (the documents table's "everyone else" row): its public
    state and its container numbers; no parties, no document."""

    id: str
    carrier: str
    kind: BillKindCode
    status: str
    version: int
    container_numbers: list[str] | None = Field(
        description="ISO 6346 numbers of the current version; null when this node did not seal it"
    )

    @classmethod
    def of(cls, view: PublicBillView) -> PublicBill:
        return cls(
            id=view.id,
            carrier=view.carrier,
            kind=view.kind,
            status=view.status,
            version=view.version,
            container_numbers=list(view.container_numbers) if view.container_numbers is not None else None,
        )


class BillPage(ApiModel):
    items: list[Bill]
    next_cursor: str | None = None


class HistoryItem(ApiModel):
    action: str
    actor: str
    recipient: str | None
    reason_code: str | None
    remark_hash: str | None
    block_number: int
    tx_hash: str
    log_index: int
    time: datetime = Field(description="Block time of the action")

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryItem:
        return cls(**{k: getattr(entry, k) for k in cls.model_fields})


class History(ApiModel):
    items: list[HistoryItem]
    next_cursor: str | None = None


class VerifyRequest(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"document": _DOCUMENT_EXAMPLE}]})

    document: dict[str, Any]


class VerifyResult(ApiModel):
    """Whether the document is the current version of a live title, and who controls it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "checksum": "9f2c" + "0" * 60,
                    "accepted": False,
                    "reason": "SUPERSEDED",
                    "billId": "0x5c3a" + "0" * 60,
                    "status": "ISSUED",
                    "version": 2,
                    "possessor": "5",
                    "titleHolder": "5",
                    "carrier": "4",
                }
            ]
        }
    )

    checksum: str
    accepted: bool
    reason: str = Field(description="LIVE_TITLE, SUPERSEDED, NOT_ISSUED, UNKNOWN_CARRIER, or a final status")
    bill_id: str | None = None
    status: str | None = None
    version: int | None = None
    possessor: str | None = None
    title_holder: str | None = None
    carrier: str | None = None

    @classmethod
    def of(cls, result: Verification) -> VerifyResult:
        return cls(**{k: getattr(result, k) for k in cls.model_fields})


class CollateralStatement(ApiModel):
    """A statement signed with the node's Ed25519 key over the RFC 8785 form of ``statement``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "statement": {
                        "type": "PortLedgerCollateralStatement",
                        "version": 1,
                        "billId": "0x5c3a" + "0" * 60,
                        "status": "ISSUED",
                        "possessor": "5",
                        "titleHolder": "5",
                        "pledge": {
                            "status": "ACTIVE",
                            "pledgee": "8",
                            "amount": "1250000.00",
                            "currency": "USD",
                        },
                        "documentChecksum": "9f2c" + "0" * 60,
                        "attestations": [],
                        "blockNumber": 120,
                        "blockHash": "0xab…",
                        "issuedAt": "2026-11-27T22:00:00Z",
                    },
                    "algorithm": "Ed25519",
                    "keyId": "3f0c2a9b1d4e5f60",
                    "signature": "base64…",
                }
            ]
        }
    )

    statement: dict[str, Any]
    algorithm: Literal["Ed25519"]
    key_id: str
    signature: str = Field(description="Base64 Ed25519 signature of the RFC 8785 canonical statement")


class StatementKey(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "algorithm": "Ed25519",
                    "keyId": "3f0c2a9b1d4e5f60",
                    "publicKey": "base64 of the 32-byte raw key",
                    "pem": "-----BEGIN PUBLIC KEY-----…",
                }
            ]
        }
    )

    algorithm: Literal["Ed25519"]
    key_id: str
    public_key: str
    pem: str
