"""Reconcile: compare the read models with the contracts' own views and report every difference.

Owns the field-by-field comparison of titles (``bill(id)``, ``documentChecksum``), release rights
(``releaseRight``, ``lastRecord``, ``releaseCodeOf``), attestations (``attestation(uid)``, the data
hash, ``isEffective``) and organisations (``organisation``, ``accountsOf``, ``organisationCount``).
Views are read at the block the index has projected through, so blocks mined meanwhile never show as
false differences. It reads and reports; it never repairs (re-index or rewind for that).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from eth_utils.crypto import keccak
from sqlmodel import SQLModel, col, select

from ledger.chain import ChainClient, Contract
from ledger.db import Database
from ledger.domain.codes import BILL_KIND, BILL_STATUS, PLEDGE_STATUS, RELEASE_STATUS
from ledger.index.indexer import projected_through
from ledger.index.models import Account, Attestation, Bill, Organisation, ReleaseRight
from ledger.index.projections import hex32

T = TypeVar("T", bound=SQLModel)


@dataclass(frozen=True)
class Difference:
    """One field where the index and the chain disagree."""

    entity: str
    id: str
    field: str
    index: Any
    chain: Any

    def __str__(self) -> str:
        return f"{self.entity} {self.id}: {self.field} index={self.index!r} chain={self.chain!r}"


@dataclass(frozen=True)
class ReconcileReport:
    block_number: int
    checked: Mapping[str, int]
    differences: list[Difference]


def _org(value: int | None) -> int:
    return value or 0


def _b32(value: Any) -> str:
    return "0x" + bytes(value).hex()


def _pick(rows: Sequence[T], sample: int | None, rng: random.Random) -> Sequence[T]:
    if sample is None or sample >= len(rows):
        return rows
    return rng.sample(list(rows), sample)


class _Diffs:
    def __init__(self) -> None:
        self.items: list[Difference] = []

    def compare(self, entity: str, ident: str, pairs: Iterable[tuple[str, Any, Any]]) -> None:
        for field, index, chain in pairs:
            if index != chain:
                self.items.append(Difference(entity, ident, field, index, chain))


def reconcile(
    db: Database,
    chain: ChainClient,
    contracts: Mapping[str, str],
    *,
    sample: int | None = None,
    seed: int | None = None,
) -> ReconcileReport:
    """Compare every projected entity (or ``sample`` of each kind) with the chain's views."""
    through = projected_through(db)
    if through is None:
        raise RuntimeError("the index has not projected anything yet: run the indexer first")
    block = through[0]
    rng = random.Random(seed)
    with db.transaction() as session:
        bills = list(session.exec(select(Bill).order_by(col(Bill.id))).all())
        rights = list(session.exec(select(ReleaseRight).order_by(col(ReleaseRight.id))).all())
        attestations = list(session.exec(select(Attestation).order_by(col(Attestation.uid))).all())
        orgs = list(session.exec(select(Organisation).order_by(col(Organisation.id))).all())
        accounts: dict[int, set[str]] = {}
        for account in session.exec(select(Account)).all():
            accounts.setdefault(account.org, set()).add(account.address.lower())

    diffs = _Diffs()
    checked: dict[str, int] = {}
    if "BillOfLadingRegistry" in contracts:
        registry = chain.at("BillOfLadingRegistry", contracts["BillOfLadingRegistry"])
        chosen_bills = _pick(bills, sample, rng)
        for bill in chosen_bills:
            _bill(diffs, registry, bill, block)
        checked["bills"] = len(chosen_bills)
    if "ContainerRelease" in contracts:
        release = chain.at("ContainerRelease", contracts["ContainerRelease"])
        chosen_rights = _pick(rights, sample, rng)
        for right in chosen_rights:
            _release_right(diffs, release, right, block)
        checked["releaseRights"] = len(chosen_rights)
    if "AttestationRegistry" in contracts:
        registry = chain.at("AttestationRegistry", contracts["AttestationRegistry"])
        time = int(str(chain.get_block(block)["timestamp"]), 0)
        chosen_attestations = _pick(attestations, sample, rng)
        for attestation in chosen_attestations:
            _attestation(diffs, registry, attestation, block, time)
        checked["attestations"] = len(chosen_attestations)
    if "Consortium" in contracts:
        consortium = chain.at("Consortium", contracts["Consortium"])
        count = int(consortium.call("organisationCount", block=block))
        diffs.compare("consortium", contracts["Consortium"], [("organisationCount", len(orgs), count)])
        chosen_orgs = _pick(orgs, sample, rng)
        for org in chosen_orgs:
            _organisation(diffs, consortium, org, accounts.get(org.id, set()), block)
        checked["organisations"] = len(chosen_orgs)
    return ReconcileReport(block, checked, diffs.items)


def _bill(diffs: _Diffs, registry: Contract, bill: Bill, block: int) -> None:
    bill_id = int(bill.id, 16)
    on_chain = registry.call("bill", bill_id, block=block)
    checksum = registry.call("documentChecksum", bill_id, block=block)
    root, issued_at = registry.call("issueFacts", bill_id, block=block)
    pledge = registry.call("pledgeOf", bill_id, block=block)
    diffs.compare(
        "bill",
        bill.id,
        [
            ("carrier", bill.carrier, on_chain["carrier"]),
            ("possessor", _org(bill.possessor), on_chain["possessor"]),
            ("holder", _org(bill.holder), on_chain["holder"]),
            ("prevPossessor", _org(bill.prev_possessor), on_chain["prevPossessor"]),
            ("prevHolder", _org(bill.prev_holder), on_chain["prevHolder"]),
            ("pledgee", _org(bill.pledgee), on_chain["pledgee"]),
            ("status", bill.status, BILL_STATUS[on_chain["status"]]),
            ("kind", bill.kind, BILL_KIND[on_chain["kind"]]),
            ("pledgeStatus", bill.pledge_status, PLEDGE_STATUS[on_chain["pledgeStatus"]]),
            ("version", bill.version, on_chain["version"]),
            ("flags", bill.flags, on_chain["flags"]),
            ("checksum", bill.checksum, _b32(checksum)),
            ("containerRoot", bill.container_root, "0x" + bytes(root).hex()),
            ("issuedAt", bill.version_issued_at, issued_at),
            ("pledgeTermsHash", bill.pledge_terms_hash or hex32(0), _pledge_hash(bill, pledge)),
        ],
    )


def _pledge_hash(bill: Bill, pledge: dict[str, Any]) -> str:
    """The chain keeps the terms hash of the last request after the pledge ends; the index clears it."""
    return _b32(pledge["termsHash"]) if bill.pledge_status != "NONE" else hex32(0)


def _release_right(diffs: _Diffs, release: Contract, right: ReleaseRight, block: int) -> None:
    right_id = bytes.fromhex(right.id[2:])
    on_chain = release.call("releaseRight", right_id, block=block)
    last = release.call("lastRecord", right_id, block=block)
    code = release.call("releaseCodeOf", right_id, block=block)
    diffs.compare(
        "releaseRight",
        right.id,
        [
            ("carrier", right.carrier, on_chain["carrier"]),
            ("holder", right.holder, on_chain["holder"]),
            ("terminal", right.terminal, on_chain["terminal"]),
            ("depot", _org(right.depot), on_chain["depot"]),
            ("validFrom", right.valid_from, on_chain["validFrom"]),
            ("validUntil", right.valid_until, on_chain["validUntil"]),
            ("status", right.status, RELEASE_STATUS[on_chain["status"]]),
            ("step", right.step, on_chain["step"]),
            ("lastRecord", right.last_record_id, _b32(last)),
            ("codeHash", right.code_hash or hex32(0), _b32(code)),
        ],
    )


def _attestation(diffs: _Diffs, registry: Contract, row: Attestation, block: int, time: int) -> None:
    uid = bytes.fromhex(row.uid[2:])
    on_chain = registry.call("attestation", uid, block=block)
    effective = bool(registry.call("isEffective", uid, block=block))
    data_hash = "0x" + keccak(bytes.fromhex(row.data[2:])).hex()
    diffs.compare(
        "attestation",
        row.uid,
        [
            ("uid", row.uid, _b32(on_chain["uid"]) if any(on_chain["uid"]) else hex32(0)),
            ("schemaId", row.schema_id, _b32(on_chain["schemaId"])),
            ("subject", row.subject, _b32(on_chain["subject"])),
            ("refUID", row.ref_uid or hex32(0), _b32(on_chain["refUID"])),
            ("attester", row.attester, on_chain["attester"]),
            ("time", row.time, on_chain["time"]),
            ("expirationTime", row.expiration_time, on_chain["expirationTime"]),
            ("revocationTime", row.revocation_time, on_chain["revocationTime"]),
            ("recognitions", row.recognitions, on_chain["recognitions"]),
            ("dataHash", data_hash, _b32(on_chain["dataHash"])),
        ],
    )
    # The index cannot know every condition of isEffective (accreditation, schema state), but an
    # attestation it holds revoked or expired must not be effective on chain.
    lapsed = row.revocation_time != 0 or (row.expiration_time != 0 and row.expiration_time < time)
    if lapsed and effective:
        diffs.items.append(Difference("attestation", row.uid, "isEffective", False, True))


def _organisation(
    diffs: _Diffs, consortium: Contract, org: Organisation, accounts: set[str], block: int
) -> None:
    on_chain = consortium.call("organisation", org.id, block=block)
    members = {a.lower() for a in consortium.call("accountsOf", org.id, block=block)}
    diffs.compare(
        "organisation",
        str(org.id),
        [
            ("id", org.id, on_chain["id"]),
            ("legalId", org.legal_id, on_chain["legalId"]),
            ("name", org.name, on_chain["name"]),
            ("roles", org.roles, on_chain["roles"]),
            ("suspended", org.suspended, on_chain["suspended"]),
            ("admin", org.admin.lower(), str(on_chain["admin"]).lower()),
            ("encryptionKey", org.encryption_key, _b32(on_chain["encryptionKey"])),
            ("admittedAt", org.admitted_at, on_chain["admittedAt"]),
            ("accounts", sorted(accounts), sorted(members)),
        ],
    )
