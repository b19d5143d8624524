"""The well-known attestation schemas and the EIP-712 typed data of k-of-n agency reports.

Owns the one Python copy of what the deploy script registers in the AttestationRegistry (docs/design.md
§1.5), so that deployment, oracles and the service derive the same schema ids, data encodings and report
digests.
Pure: ABI encoding and keccak only; it must not talk to a chain (``ledger.chain`` does that) and must not
restate rules the contract enforces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger.domain import ids

REPORT_DOMAIN_NAME = "PortLedger AttestationRegistry"
REPORT_DOMAIN_VERSION = "2"
REPORT_TYPE = (
    "Report(uint32 agency,uint8 action,bytes32 target,bytes32 schema,bytes32 subject,bytes32 sourceId,"
    "uint64 sequence,bytes32 payloadHash,uint64 deadline)"
)
REPORT_TYPEHASH = keccak(text=REPORT_TYPE)
REPORT_FIELDS: list[dict[str, str]] = [
    {"name": "agency", "type": "uint32"},
    {"name": "action", "type": "uint8"},
    {"name": "target", "type": "bytes32"},
    {"name": "schema", "type": "bytes32"},
    {"name": "subject", "type": "bytes32"},
    {"name": "sourceId", "type": "bytes32"},
    {"name": "sequence", "type": "uint64"},
    {"name": "payloadHash", "type": "bytes32"},
    {"name": "deadline", "type": "uint64"},
]
SIGNER_SET_CHANGE_TYPE = (
    "SignerSetChange(uint32 agency,bytes32 schema,address[] signers,uint8 threshold,uint32 epoch,"
    "uint64 deadline)"
)
SIGNER_SET_CHANGE_TYPEHASH = keccak(text=SIGNER_SET_CHANGE_TYPE)
SIGNER_SET_CHANGE_FIELDS: list[dict[str, str]] = [
    {"name": "agency", "type": "uint32"},
    {"name": "schema", "type": "bytes32"},
    {"name": "signers", "type": "address[]"},
    {"name": "threshold", "type": "uint8"},
    {"name": "epoch", "type": "uint32"},
    {"name": "deadline", "type": "uint64"},
]
EIP712_DOMAIN_FIELDS: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


class ReportAction(IntEnum):
    """What a k-of-n report does (``contracts/types/AttestationTypes.sol``)."""

    ATTEST = 0
    REVOKE = 1


class SchemaRole(IntEnum):
    """The consortium roles that attest (bit positions of `contracts/types/Roles.sol`)."""

    BANK = 2
    CUSTOMS = 5
    MARITIME = 6
    BORDER = 7
    PORT_AUTHORITY = 8


def role_mask(*roles: SchemaRole) -> int:
    """The uint16 role bitmask with one bit per role."""
    mask = 0
    for role in roles:
        mask |= 1 << int(role)
    return mask


@dataclass(frozen=True, slots=True)
class SchemaDefinition:
    """A schema as registered on chain (mirror of the Solidity ``SchemaRecord``)."""

    name: str
    definition: str
    revocable: bool
    expiring: bool
    attester_roles: int
    required_recognitions: int = 0
    reports_only: bool = False
    """Only accepted k-of-n reports attest and revoke."""
    permanent: bool = False
    """Can never be deactivated (consulted by the release gate or the pledge overlay)."""

    def __post_init__(self) -> None:
        if self.expiring and not self.definition.startswith("uint64 validUntil,"):
            raise ValueError(
                f"schema {self.name}: an expiring schema's first field must be uint64 validUntil"
            )
        if not 0 < self.attester_roles < 1 << 16:
            raise ValueError(f"schema {self.name}: attester roles must be a non-empty uint16 bitmask")

    @property
    def fields(self) -> list[tuple[str, str]]:
        """(ABI type, name) of each field, in order."""
        out: list[tuple[str, str]] = []
        for part in self.definition.split(","):
            abi_type, name = part.strip().split(" ")
            out.append((abi_type, name))
        return out

    @property
    def abi_types(self) -> list[str]:
        return [abi_type for abi_type, _ in self.fields]

    @property
    def schema_id(self) -> bytes:
        """The id: keccak256 of the ABI encoding of every field of the record, in declaration order."""
        return keccak(
            abi_encode(
                ["string", "string", "bool", "bool", "bool", "bool", "uint16", "uint8"],
                list(self.as_record()),
            )
        )

    def as_record(self) -> tuple[str, str, bool, bool, bool, bool, int, int]:
        """The ``SchemaRecord`` tuple for the contract call."""
        return (
            self.name,
            self.definition,
            self.revocable,
            self.expiring,
            self.reports_only,
            self.permanent,
            self.attester_roles,
            self.required_recognitions,
        )

    def encode(self, values: dict[str, Any]) -> bytes:
        """ABI-encode the data of an attestation from field values by name."""
        missing = [name for _, name in self.fields if name not in values]
        if missing:
            raise ValueError(f"schema {self.name}: missing fields {missing}")
        extra = sorted(set(values) - {name for _, name in self.fields})
        if extra:
            raise ValueError(f"schema {self.name}: unknown fields {extra}")
        return abi_encode(self.abi_types, [values[name] for _, name in self.fields])

    def decode(self, data: bytes) -> dict[str, Any]:
        """Field values by name from attestation data."""
        decoded = abi_decode(self.abi_types, data)
        return {name: value for (_, name), value in zip(self.fields, decoded, strict=True)}


CUSTOMS_RELEASE = SchemaDefinition(
    name="CUSTOMS_RELEASE",
    definition="string declarationNumber,string customsOfficeCode,uint64 releasedAt",
    revocable=False,
    expiring=False,
    attester_roles=role_mask(SchemaRole.CUSTOMS),
    reports_only=True,
    permanent=True,
)
CUSTOMS_HOLD = SchemaDefinition(
    name="CUSTOMS_HOLD",
    definition="string declarationNumber,string reasonCode,uint64 heldAt",
    revocable=True,
    expiring=False,
    attester_roles=role_mask(SchemaRole.CUSTOMS),
    reports_only=True,
    permanent=True,
)
VESSEL_EVENT = SchemaDefinition(
    name="VESSEL_EVENT",
    definition="string imoNumber,string eventCode,string unLocode,uint64 eventTime",
    revocable=False,
    expiring=False,
    attester_roles=role_mask(SchemaRole.MARITIME),
)
CREDIT_LEVEL = SchemaDefinition(
    name="CREDIT_LEVEL",
    definition="uint64 validUntil,string creditCode,string level",
    revocable=True,
    expiring=True,
    attester_roles=role_mask(SchemaRole.CUSTOMS),
)
COLLATERAL_CHECK = SchemaDefinition(
    name="COLLATERAL_CHECK",
    definition="uint64 validUntil,bytes32 documentChecksum,bool encumbered,string result",
    revocable=True,
    expiring=True,
    attester_roles=role_mask(SchemaRole.BANK),
)

PLEDGE_DEFAULT = SchemaDefinition(
    name="PLEDGE_DEFAULT",
    definition="string reasonCode,uint64 noticeGivenAt,bytes32 noticeHash",
    revocable=True,
    expiring=False,
    attester_roles=role_mask(SchemaRole.BANK),
    permanent=True,
)

WELL_KNOWN_SCHEMAS: dict[str, SchemaDefinition] = {
    s.name: s
    for s in (CUSTOMS_RELEASE, CUSTOMS_HOLD, VESSEL_EVENT, CREDIT_LEVEL, COLLATERAL_CHECK, PLEDGE_DEFAULT)
}


# Subjects are identifiers (docs/design.md §1.5); they live in ledger.domain.ids and are re-exported here
# for the callers that build reports.
bill_subject = ids.bill_subject
container_subject = ids.container_subject
bill_container_subject = ids.bill_container_subject
pledge_subject = ids.pledge_subject
org_subject = ids.org_subject


# ---------------------------------------------------------------------- k-of-n reports


@dataclass(frozen=True, slots=True)
class ReportMessage:
    """The fields an agency's oracle signers sign; ``payload_hash = keccak256(data)``."""

    agency: int
    schema: bytes
    subject: bytes
    source_id: bytes
    sequence: int
    data: bytes
    deadline: int
    action: ReportAction = ReportAction.ATTEST
    target: bytes = b"\x00" * 32
    """ATTEST: the referenced uid (or zero); REVOKE: the agency's attestation revoked."""

    @property
    def payload_hash(self) -> bytes:
        return keccak(self.data)

    def as_struct(self) -> tuple[int, int, bytes, bytes, bytes, bytes, int, int]:
        """The Solidity ``Report`` tuple (agency, action, target, schema, subject, sourceId, sequence,
        deadline)."""
        return (
            self.agency,
            int(self.action),
            self.target,
            self.schema,
            self.subject,
            self.source_id,
            self.sequence,
            self.deadline,
        )

    def message(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "action": int(self.action),
            "target": self.target,
            "schema": self.schema,
            "subject": self.subject,
            "sourceId": self.source_id,
            "sequence": self.sequence,
            "payloadHash": self.payload_hash,
            "deadline": self.deadline,
        }


def report_domain(chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The EIP-712 domain of the AttestationRegistry at ``verifying_contract`` on ``chain_id``."""
    return {
        "name": REPORT_DOMAIN_NAME,
        "version": REPORT_DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": verifying_contract,
    }


def report_typed_data(report: ReportMessage, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The full EIP-712 typed data (``eth_signTypedData_v4`` shape) of a report."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_FIELDS, "Report": REPORT_FIELDS},
        "primaryType": "Report",
        "domain": report_domain(chain_id, verifying_contract),
        "message": report.message(),
    }


def _domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _DOMAIN_TYPEHASH,
                keccak(text=REPORT_DOMAIN_NAME),
                keccak(text=REPORT_DOMAIN_VERSION),
                chain_id,
                verifying_contract,
            ],
        )
    )


def report_digest(report: ReportMessage, chain_id: int, verifying_contract: str) -> bytes:
    """The EIP-712 digest the registry recovers signers from (``_hashTypedDataV4``)."""
    struct_hash = keccak(
        abi_encode(
            [
                "bytes32",
                "uint32",
                "uint8",
                "bytes32",
                "bytes32",
                "bytes32",
                "bytes32",
                "uint64",
                "bytes32",
                "uint64",
            ],
            [
                REPORT_TYPEHASH,
                report.agency,
                int(report.action),
                report.target,
                report.schema,
                report.subject,
                report.source_id,
                report.sequence,
                report.payload_hash,
                report.deadline,
            ],
        )
    )
    return keccak(b"\x19\x01" + _domain_separator(chain_id, verifying_contract) + struct_hash)


@dataclass(frozen=True, slots=True)
class SignerSetChange:
    """A new signer set an agency's current set signs (``changeReportSigners``)."""

    agency: int
    schema: bytes
    signers: tuple[str, ...]
    threshold: int
    epoch: int
    deadline: int

    def message(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "schema": self.schema,
            "signers": list(self.signers),
            "threshold": self.threshold,
            "epoch": self.epoch,
            "deadline": self.deadline,
        }

    def typed_data(self, chain_id: int, verifying_contract: str) -> dict[str, Any]:
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN_FIELDS, "SignerSetChange": SIGNER_SET_CHANGE_FIELDS},
            "primaryType": "SignerSetChange",
            "domain": report_domain(chain_id, verifying_contract),
            "message": self.message(),
        }

    def digest(self, chain_id: int, verifying_contract: str) -> bytes:
        signers_hash = keccak(b"".join(abi_encode(["address"], [s]) for s in self.signers))
        struct_hash = keccak(
            abi_encode(
                ["bytes32", "uint32", "bytes32", "bytes32", "uint8", "uint32", "uint64"],
                [
                    SIGNER_SET_CHANGE_TYPEHASH,
                    self.agency,
                    self.schema,
                    signers_hash,
                    self.threshold,
                    self.epoch,
                    self.deadline,
                ],
            )
        )
        return keccak(b"\x19\x01" + _domain_separator(chain_id, verifying_contract) + struct_hash)


def order_signatures(signed: Sequence[tuple[str, bytes]]) -> list[bytes]:
    """Signatures ordered by ascending signer address, as the registry requires (duplicate check in O(k))."""
    return [sig for _, sig in sorted(signed, key=lambda pair: int(pair[0], 16))]
