"""The offline check of a collateral statement, as a bank runs it: no node code, only the published key.

A statement (``GET /v1/bills/{id}/collateral-statement``) is ``{"statement", "algorithm", "keyId",
"signature"}``: an Ed25519 signature, base64, over the RFC 8785 canonical JSON of ``statement``. The key is
the node's ``GET /v1/statement-key`` (``publicKey``: base64 of the 32 raw bytes; ``keyId``: the first 16 hex
digits of its SHA-256). The client commands may not import the node's services, so the check is written
here from the published description (docs/api/README.md), not shared with the signer's code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


@dataclass(frozen=True)
class StatementCheck:
    """Whether the signature holds, and if not, why (``reason`` is empty when it holds)."""

    valid: bool
    key_id: str
    reason: str = ""


def check_statement(signed: dict[str, Any], published_key: dict[str, Any]) -> StatementCheck:
    """Check ``signed`` against a published key description (``algorithm``, ``keyId``, ``publicKey``)."""
    try:
        raw_key = base64.b64decode(str(published_key["publicKey"]), validate=True)
    except (KeyError, binascii.Error, ValueError):
        return StatementCheck(False, "", "the published key has no readable publicKey")
    key_id = hashlib.sha256(raw_key).hexdigest()[:16]
    if published_key.get("algorithm") != "Ed25519" or signed.get("algorithm") != "Ed25519":
        return StatementCheck(False, key_id, "the statement or the key is not Ed25519")
    if signed.get("keyId") != key_id:
        return StatementCheck(
            False, key_id, f"signed with key {signed.get('keyId')!r}, not the published {key_id}"
        )
    try:
        signature = base64.b64decode(str(signed["signature"]), validate=True)
        payload = rfc8785.dumps(signed["statement"])
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, payload)
    except (KeyError, binascii.Error, ValueError, rfc8785.CanonicalizationError):
        return StatementCheck(False, key_id, "the statement or its signature is malformed")
    except InvalidSignature:
        return StatementCheck(False, key_id, "the signature does not match the statement")
    return StatementCheck(True, key_id)
