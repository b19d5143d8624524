"""Signed collateral statements for banks, and the node's statement key.

A statement is a JSON object read from the chain at one pinned block (number and hash): the title's
possessor, title holder, status, pledge, document checksum and version, and the effective
attestations about the title and its parties. It is signed with the node's Ed25519 statement key
over its RFC 8785 canonical form, so anyone can verify it offline with the published public key
(``GET /v1/statement-key``). A statement is evidence of what the chain said at that block; anything
that decides money or title is re-checked against the chain (``bill(id)``) at the time of use.

The key lives in ``<data dir>/statement-key.pem`` as encrypted PKCS#8 (the passphrase comes from
settings, never from a request) and is created on first use. Nothing here returns the private key.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.chain import ChainClient, Contract
from ledger.chain.deployment import Deployment
from ledger.db import Database
from ledger.domain.pledges import PledgeTerms
from ledger.index import queries as index_queries
from ledger.services.bills import STATUSES, Bills, bill_id_hex, chain_pledge_view
from ledger.services.errors import ServiceError, SignerUnavailable

ALGORITHM = "Ed25519"
STATEMENT_TYPE = "PortLedgerCollateralStatement"
# Schemas whose effective attestations about the title and its parties a statement reports.
STATEMENT_SCHEMAS = ("CREDIT_LEVEL", "COLLATERAL_CHECK", "CUSTOMS_HOLD", "CUSTOMS_RELEASE")


def key_id(public_key: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


class StatementKey:
    """The node's Ed25519 statement key, encrypted at rest."""

    def __init__(self, path: Path, passphrase: str | None):
        self.path = path
        self._passphrase = passphrase
        self._key: Ed25519PrivateKey | None = None
        self._lock = threading.Lock()

    def _load(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._key is not None:
                return self._key
            if not self._passphrase:
                raise SignerUnavailable(
                    "no statement key passphrase: set PORTLEDGER_STATEMENT_KEY_PASSPHRASE "
                    "(or PORTLEDGER_WALLET_PASSPHRASE)"
                )
            secret = self._passphrase.encode("utf-8")
            if self.path.is_file():
                key = serialization.load_pem_private_key(self.path.read_bytes(), password=secret)
                if not isinstance(key, Ed25519PrivateKey):
                    raise SignerUnavailable(f"{self.path} does not hold an Ed25519 key")
            else:
                key = Ed25519PrivateKey.generate()
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(secret),
                )
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_bytes(pem)
                tmp.chmod(0o600)
                tmp.replace(self.path)
            self._key = key
            return key

    def public_key(self) -> bytes:
        return self._load().public_key().public_bytes_raw()

    def describe(self) -> dict[str, str]:
        public = self._load().public_key()
        raw = public.public_bytes_raw()
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {
            "algorithm": ALGORITHM,
            "keyId": key_id(raw),
            "publicKey": base64.b64encode(raw).decode("ascii"),
            "pem": pem.decode("ascii"),
        }

    def sign(self, payload: bytes) -> bytes:
        return self._load().sign(payload)


def verify_statement(signed: dict[str, Any], public_key: bytes) -> bool:
    """Offline check of a signed statement against a published raw Ed25519 public key."""
    try:
        signature = base64.b64decode(signed["signature"])
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, rfc8785.dumps(signed["statement"]))
    except (InvalidSignature, KeyError, ValueError):
        return False
    return True


STATE_CACHE_SIZE = 4096
"""Chain reads of statements kept per (title, block hash): the state at a block never changes."""


@dataclass
class Statements:
    """Builds and signs collateral statements."""

    key: StatementKey
    bills: Bills
    chain: ChainClient
    bill_registry: Contract
    attestation_registry: Contract
    db: Database
    deployment: Deployment
    _states: OrderedDict[tuple[int, str], dict[str, Any]] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def collateral(self, bill_id: int, org: int) -> dict[str, Any]:
        bills = self.bills
        view = bills.get(bill_id, org)  # visibility: NotFound for an org that may not know the title
        block = self.chain.get_block("latest")
        number = int(block["number"], 16) if isinstance(block["number"], str) else int(block["number"])
        state = self._state_at(bill_id, number, str(block["hash"]))
        statement: dict[str, Any] = {
            "type": STATEMENT_TYPE,
            "version": 1,
            "billId": bill_id_hex(bill_id),
            "transportDocumentReference": view.transport_document_reference,
            "kind": view.kind,
            **state,
            "issuedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "requestedBy": str(org),
        }
        signature = self.key.sign(rfc8785.dumps(statement))
        return {
            "statement": statement,
            "algorithm": ALGORITHM,
            "keyId": key_id(self.key.public_key()),
            "signature": base64.b64encode(signature).decode("ascii"),
        }

    def _state_at(self, bill_id: int, number: int, block_hash: str) -> dict[str, Any]:
        """What the chain says of the title at one block: two JSON-RPC batches, then cached."""
        cache_key = (bill_id, block_hash)
        with self._lock:
            found = self._states.get(cache_key)
            if found is not None:
                self._states.move_to_end(cache_key)
                return found
        chain = self.chain
        registry = self.bill_registry
        raw, pledge, checksum = registry.calls(
            [("bill", (bill_id,)), ("pledgeOf", (bill_id,)), ("documentChecksum", (bill_id,))], block=number
        )
        for answer in (raw, pledge, checksum):
            if isinstance(answer, Exception):
                raise answer
        raw, pledge = dict(raw), dict(pledge)
        parties = {
            "carrier": int(raw["carrier"]),
            "possessor": int(raw["possessor"]),
            "titleHolder": int(raw["holder"]),
            "pledgee": int(pledge["pledgee"]) if int(pledge["status"]) else 0,
        }
        state = {
            "status": STATUSES[int(raw["status"])],
            "carrier": str(parties["carrier"]),
            "possessor": str(parties["possessor"]) if parties["possessor"] else None,
            "titleHolder": str(parties["titleHolder"]) if parties["titleHolder"] else None,
            "documentChecksum": bytes(checksum).hex(),
            "documentVersion": int(raw["version"]),
            "pledge": self._pledge(bill_id, pledge, int(raw["possessor"])) if int(pledge["status"]) else None,
            "attestations": self._attestations(bill_id, parties, number),
            "chainId": chain.chain_id,
            "registry": registry.address,
            "blockNumber": number,
            "blockHash": block_hash,
        }
        with self._lock:
            self._states[cache_key] = state
            while len(self._states) > STATE_CACHE_SIZE:
                self._states.popitem(last=False)
        return state

    def _pledge(self, bill_id: int, p: dict[str, Any], possessor: int) -> dict[str, Any]:
        """The pledge at the pinned block, with the terms of its request checked against the chain's hash."""
        row = index_queries.get_pledge(self.db, bill_id, int(p["nonce"]))
        if not _verified_terms(bill_id, p, row, possessor):
            raise StatementUnavailable(
                "the pledge's terms are not indexed yet on this node (or disagree with the chain); "
                "retry shortly"
            )
        view = chain_pledge_view(p, row, possessor)
        return {
            "status": view.status,
            "pledgee": view.pledgee,
            "nonce": view.nonce,
            "pledgor": view.pledgor,
            "amount": view.amount,
            "currency": view.currency,
            "registrationRef": view.registration_ref,
            "acceptBy": _iso(view.accept_by),
            "maturity": _iso(view.maturity),
            "noticePeriodSeconds": view.notice_period_seconds,
            "termsHash": view.terms_hash,
            "acceptedAt": _iso(view.accepted_at),
        }

    def _attestations(self, bill_id: int, parties: dict[str, int], block: int) -> list[dict[str, Any]]:
        registry, deployment = self.attestation_registry, self.deployment
        subjects = {"bill": bill_id.to_bytes(32, "big")}
        for role, org in parties.items():
            if org:
                subjects[role] = org.to_bytes(32, "big")
        asked = [
            (schema, about, subject)
            for schema in STATEMENT_SCHEMAS
            if schema in deployment.schemas
            for about, subject in subjects.items()
        ]
        uids = registry.calls(
            [("latestEffective", (subject, deployment.schema_id(schema))) for schema, _, subject in asked],
            block=block,
        )
        found = []
        for (schema, about, _), uid in zip(asked, uids, strict=True):
            if isinstance(uid, Exception):
                raise uid
            if any(bytes(uid)):
                found.append((schema, about, bytes(uid)))
        records = registry.calls([("attestation", (uid,)) for _, _, uid in found], block=block)
        out = []
        for (schema, about, uid), record in zip(found, records, strict=True):
            if isinstance(record, Exception):
                raise record
            r = dict(record)
            out.append(
                {
                    "schema": schema,
                    "about": about,
                    "uid": "0x" + uid.hex(),
                    "attester": str(int(r["attester"])),
                    "time": int(r["time"]),
                    "expirationTime": int(r["expirationTime"]) or None,
                    "dataHash": "0x" + bytes(r["dataHash"]).hex(),
                }
            )
        return out


class StatementUnavailable(ServiceError):
    """The node cannot state the pledge's terms yet (its index has not projected the request whose hash the
    chain holds); nothing is signed that the chain does not back."""

    code = "STATEMENT_UNAVAILABLE"


def _verified_terms(bill_id: int, p: dict[str, Any], row: Any, pledgor: int) -> bool:
    """Whether the indexed request's terms hash to what the chain holds for this pledge."""
    if row is None:
        return False
    terms = PledgeTerms(
        bank=int(p["pledgee"]),
        amount=int(row.amount),
        currency=row.currency,
        registration_ref=bytes.fromhex(row.registration_ref[2:]),
        accept_by=row.accept_by,
        maturity=row.maturity,
        notice_period=row.notice_period,
    )
    return terms.terms_hash(bill_id, int(p["nonce"]), pledgor) == bytes(p["termsHash"])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None
