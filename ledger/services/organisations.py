"""Consortium organisations as the services need them: ids, legal identifiers, document public keys,
and the wallets this node holds for some of them.

The consortium contract is the source of truth for membership (read with ``eth_call``, cached
briefly); the wallet directory gives this node the signer and the X25519 document key of the
organisations it acts for. An organisation id is shown as a decimal string (``"3"``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.chain import Contract
from ledger.chain.client import TransactionSigner
from ledger.domain import codes
from ledger.services.errors import SignerUnavailable, UnknownOrganisation

ROLES = codes.ROLE
"""Role names in bit order (``ledger.domain.codes.ROLE``)."""
_CACHE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Member:
    """An organisation's consortium record."""

    id: int
    legal_id: str
    name: str
    roles: tuple[str, ...]
    suspended: bool
    encryption_key: bytes

    @property
    def key(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class OrgWallet:
    """What this node holds for one organisation: a transaction signer and its document key."""

    signer: TransactionSigner
    document_key: X25519PrivateKey


def parse_org_id(value: Any, path: str = "$") -> int:
    """An org id in the API form (decimal string or int) → int; :class:`UnknownOrganisation` if bad."""
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) < 2**32:
        raise UnknownOrganisation(str(value), path)
    return int(text)


class Organisations:
    """Membership lookups against the consortium, plus this node's wallets by org id."""

    def __init__(self, consortium: Contract, wallets: dict[int, OrgWallet] | None = None):
        self.consortium = consortium
        self.wallets = dict(wallets or {})
        self._lock = threading.Lock()
        self._members: dict[int, Member] = {}
        self._loaded_at = 0.0

    def _refresh(self, force: bool = False) -> dict[int, Member]:
        with self._lock:
            if force or time.monotonic() - self._loaded_at > _CACHE_SECONDS:
                count = int(self.consortium.call("organisationCount"))
                records = self.consortium.calls([("organisation", (i,)) for i in range(1, count + 1)])
                members = {}
                for org_id, record in enumerate(records, start=1):
                    if isinstance(record, Exception):
                        raise record
                    if int(record["id"]) == 0:
                        continue
                    roles_mask = int(record["roles"])
                    members[org_id] = Member(
                        id=org_id,
                        legal_id=str(record["legalId"]),
                        name=str(record["name"]),
                        roles=tuple(r for i, r in enumerate(ROLES) if roles_mask >> i & 1),
                        suspended=bool(record["suspended"]),
                        encryption_key=bytes(record["encryptionKey"]),
                    )
                self._members = members
                self._loaded_at = time.monotonic()
            return self._members

    def all(self) -> list[Member]:
        return list(self._refresh().values())

    def get(self, org: int | str, path: str = "$") -> Member:
        org_id = parse_org_id(org, path)
        member = self._refresh().get(org_id) or self._refresh(force=True).get(org_id)
        if member is None:
            raise UnknownOrganisation(str(org), path)
        return member

    def resolve(self, org: int | str, path: str = "$") -> Member:
        """A member by its id (``"4"``) or its legal identifier (SCAC/SMDG code, LEI, USCC: ``"TOLU"``);
        :class:`UnknownOrganisation` if neither names one."""
        text = str(org).strip()
        if text.isdigit():
            return self.get(text, path)
        member = self.by_legal_id(text) if text else None
        if member is None:
            raise UnknownOrganisation(str(org), path)
        return member

    def by_legal_id(self, legal_id: str) -> Member | None:
        wanted = legal_id.strip().upper()
        for members in (self._refresh(), self._refresh(force=True)):
            for member in members.values():
                if member.legal_id.strip().upper() == wanted:
                    return member
        return None

    def wallet(self, org: int) -> OrgWallet:
        wallet = self.wallets.get(org)
        if wallet is None:
            raise SignerUnavailable(f"this node holds no wallet for organisation {org}")
        return wallet

    def signer_address(self, org: int) -> str:
        return self.wallet(org).signer.address
