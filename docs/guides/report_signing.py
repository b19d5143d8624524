"""Sign a k-of-n agency report for ``POST /v1/reports`` with plain Python (eth_account, eth_abi).

Included by docs/guides/api.md ("Signing a report") and run by tests/api/test_report_signing_guide.py
against the test API, so it stays true. Nothing here imports PortLedger.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

REPORT_FIELDS = [
    {"name": "agency", "type": "uint32"},
    {"name": "action", "type": "uint8"},  # 0 = ATTEST, 1 = REVOKE
    {"name": "target", "type": "bytes32"},
    {"name": "schema", "type": "bytes32"},
    {"name": "subject", "type": "bytes32"},
    {"name": "sourceId", "type": "bytes32"},
    {"name": "sequence", "type": "uint64"},
    {"name": "payloadHash", "type": "bytes32"},
    {"name": "deadline", "type": "uint64"},
]
DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
CUSTOMS_RELEASE_TYPES = ["string", "string", "uint64"]  # declarationNumber, customsOfficeCode, releasedAt


def report_body(
    keys: list[str | bytes],
    *,
    chain_id: int,
    registry: str,
    agency: int,
    schema_id: bytes,
    subject: bytes,
    source_id: bytes,
    sequence: int,
    deadline: int,
    data: bytes,
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/reports``: ``data`` signed by each private key in ``keys``."""
    typed = {
        "types": {"EIP712Domain": DOMAIN_FIELDS, "Report": REPORT_FIELDS},
        "primaryType": "Report",
        "domain": {
            "name": "PortLedger AttestationRegistry",
            "version": "2",
            "chainId": chain_id,
            "verifyingContract": registry,
        },
        "message": {
            "agency": agency,
            "action": 0,
            "target": b"\x00" * 32,
            "schema": schema_id,
            "subject": subject,
            "sourceId": source_id,
            "sequence": sequence,
            "payloadHash": keccak(data),
            "deadline": deadline,
        },
    }
    signed = [(Account.from_key(k).address, Account.sign_typed_data(k, full_message=typed)) for k in keys]
    signed.sort(key=lambda pair: int(pair[0], 16))  # the registry wants ascending signer addresses
    return {
        "agency": str(agency),
        "action": "ATTEST",
        "schema": "0x" + schema_id.hex(),
        "subject": "0x" + subject.hex(),
        "sourceId": "0x" + source_id.hex(),
        "sequence": sequence,
        "deadline": deadline,
        "data": "0x" + data.hex(),
        "signatures": ["0x" + bytes(s.signature).hex() for _, s in signed],
    }


def customs_release_data(declaration: str, office: str, released_at: int) -> bytes:
    """A CUSTOMS_RELEASE schema's data: the ABI encoding of its fields in definition order."""
    return encode(CUSTOMS_RELEASE_TYPES, [declaration, office, released_at])
