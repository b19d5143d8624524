"""Who may see a fact or an event: the facts table of "who reads what" (``docs/design.md`` §2), answered
from the read models of ``ledger.index``.

The table's rows: facts about a bill or its containers go to the bill's current and past parties, the
terminal and the holder of a release right for it, accredited agencies and the attester; facts about an
organisation (credit level, AEO) go to that organisation, accredited agencies and banks asked for a
collateral statement naming it.

How the rows are read here:

- *a bill's parties, current and past*: its carrier, possessor, holder, consignee and pledgee now, every
  actor and recipient of its history, and every bank named in one of its pledges;
- *the terminal and the holder of a release right*: every release right granted for the bill (and the
  haulier and depot it names), or, for a fact about one container, every right for that container;
- *accredited agencies*: members holding an agency role (customs, maritime, border);
- *banks asked for a collateral statement naming an organisation*: banks named in a pledge request of a
  title of which that organisation is a party (a pledge request is what asks a bank to finance the
  title, and the bank's collateral statement names the title's parties);
- a fact about a vessel, or about a subject this node cannot place, goes to accredited agencies and its
  attester (vessel events are published to every member: they are the port's own schedule).

Events of the title registry go to the bill's current and past parties (the documents table gives
everyone else the public state only); release and gate events (EIRs) follow the first row; attestation
events follow the row of their subject; proposals and governor changes go to the governors'
organisations and the organisations they name; membership changes (admissions, suspensions, roles,
published document keys) and schema changes go to every member, as the directory and the schema list do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, col, or_, select

from ledger.chain.deployment import BILL_REGISTRY
from ledger.db import Database
from ledger.domain import codes, ids
from ledger.index.models import Attestation, Bill, BillHistory, Eir, Organisation, Pledge, ReleaseRight
from ledger.services.documents import SealedDocument

EVERY_MEMBER = None
"""An audience of every member organisation."""

AGENCY_ROLES = ("CUSTOMS", "MARITIME", "BORDER")

MEMBERSHIP_EVENTS = frozenset(
    {
        "OrganisationAdmitted",
        "OrganisationSuspended",
        "OrganisationReinstated",
        "RoleGranted",
        "RoleRevoked",
        "EncryptionKeyChanged",
        "SchemaRegistered",
        "SchemaActiveChanged",
        "SchemaBootstrapSealed",
        "BootstrapSealed",
        "CacheAttached",
    }
)
GOVERNANCE_EVENTS = frozenset(
    {
        "ProposalCreated",
        "ProposalApproved",
        "ProposalExecuted",
        "ThresholdChanged",
        "GovernorAdded",
        "GovernorRemoved",
    }
)
ATTESTATION_EVENTS = frozenset({"Attested", "Revoked", "Replaced", "Recognised", "ReportAccepted"})
_ORG_ARGS = ("org", "carrier", "holder", "terminal", "haulier", "depot", "attester", "agency", "recipient")


class _Fact(Protocol):
    @property
    def subject(self) -> bytes: ...
    @property
    def schema_id(self) -> bytes: ...
    @property
    def attester(self) -> int: ...


_F = TypeVar("_F", bound=_Fact)

Audience = frozenset[int] | None
"""A set of organisation ids, or :data:`EVERY_MEMBER`."""


@dataclass
class _Subjects:
    """Container and per-bill subjects this node can place, hashed once (``keccak`` of what they name)."""

    containers: dict[str, str] = field(default_factory=dict)  # subject → container number
    bill_containers: dict[str, tuple[str, str]] = field(default_factory=dict)  # subject → (bill, number)
    pledges: dict[str, str] = field(default_factory=dict)  # subject → bill
    bills_of: dict[str, set[str]] = field(default_factory=dict)  # container number → bills
    seen: set[tuple[str, ...]] = field(default_factory=set)
    sealed_through: datetime | None = None
    """The newest sealed document read so far: later reads take only what was sealed since."""


class Audiences:
    """Answers "who may see this" for events and attestations; one instance per node (it caches the
    subjects it has hashed). Every method takes the caller's session, so a page of events is answered
    from one snapshot of the read models."""

    def __init__(self, governors: Any = None, *, vessel_schema: str | None = None):
        self._governors = governors
        self._governor_orgs: tuple[float, frozenset[int]] = (0.0, frozenset())
        self._lock = threading.Lock()
        self._subjects = _Subjects()
        self.vessel_schema = vessel_schema.lower() if vessel_schema else None

    # -- organisations ------------------------------------------------------------------------------
    def agencies(self, session: Session) -> frozenset[int]:
        rows = session.exec(select(Organisation.id, Organisation.roles)).all()
        mask = sum(1 << codes.ROLE.index(r) for r in AGENCY_ROLES)
        return frozenset(int(org) for org, roles in rows if int(roles) & mask)

    def governors(self) -> frozenset[int]:
        """Organisations of the consortium's governors (asked of the chain, at most every 5 s)."""
        if self._governors is None:
            return frozenset()
        at, orgs = self._governor_orgs
        if time.monotonic() - at > 5:
            orgs = frozenset(o for o in self._governors() if o)
            self._governor_orgs = (time.monotonic(), orgs)
        return orgs

    # -- bills --------------------------------------------------------------------------------------
    def bill_parties(self, session: Session, bill_id: str) -> set[int]:
        """The bill's current and past parties."""
        out: set[int] = set()
        row = session.get(Bill, bill_id)
        if row is not None:
            out |= {row.carrier, row.possessor or 0, row.holder or 0, row.consignee or 0, row.pledgee or 0}
        for actor, recipient in session.exec(
            select(BillHistory.actor, BillHistory.recipient).where(BillHistory.bill_id == bill_id)
        ).all():
            out |= {int(actor), int(recipient or 0)}
        out |= {int(p) for p in session.exec(select(Pledge.pledgee).where(Pledge.bill_id == bill_id)).all()}
        out.discard(0)
        return out

    def _rights(
        self, session: Session, *, bill_id: str | None = None, container: str | None = None
    ) -> set[int]:
        query = select(ReleaseRight)
        if bill_id is not None:
            query = query.where(ReleaseRight.bill_id == bill_id)
        if container is not None:
            query = query.where(ReleaseRight.container_number == container)
        out: set[int] = set()
        right_ids = []
        for right in session.exec(query).all():
            out |= {right.carrier, right.holder, right.terminal, right.depot or 0}
            right_ids.append(right.id)
        if right_ids:
            out |= {
                int(h)
                for h in session.exec(select(Eir.haulier).where(col(Eir.right_id).in_(right_ids))).all()
                if h
            }
        out.discard(0)
        return out

    def of_bill(self, session: Session, bill_id: str, memo: dict[Any, Any]) -> frozenset[int]:
        """Facts about a bill or its containers: parties, release rights' terminals and holders, agencies."""
        key = ("bill", bill_id)
        if key not in memo:
            memo[key] = frozenset(
                self.bill_parties(session, bill_id)
                | self._rights(session, bill_id=bill_id)
                | self.agencies(session)
            )
        found: frozenset[int] = memo[key]
        return found

    def of_container(self, session: Session, number: str, memo: dict[Any, Any]) -> frozenset[int]:
        """Facts about one container: the audiences of the bills it is carried under and of its rights."""
        key = ("container", number)
        if key not in memo:
            with self._lock:
                self._learn(session)
                bills = set(self._subjects.bills_of.get(number, ()))
            out: set[int] = set(self._rights(session, container=number)) | self.agencies(session)
            for bill in bills:
                out |= self.bill_parties(session, bill)
            memo[key] = frozenset(out)
        found: frozenset[int] = memo[key]
        return found

    def of_org(self, session: Session, org: int, memo: dict[Any, Any]) -> frozenset[int]:
        """Facts about an organisation: it, agencies, and banks asked to finance a title it is party to."""
        key = ("org", org)
        if key not in memo:
            titles = set(
                session.exec(
                    select(Bill.id).where(
                        or_(
                            Bill.carrier == org,
                            Bill.possessor == org,
                            Bill.holder == org,
                            Bill.consignee == org,
                        )
                    )
                ).all()
            )
            titles |= set(
                session.exec(
                    select(BillHistory.bill_id).where(
                        or_(BillHistory.actor == org, BillHistory.recipient == org)
                    )
                ).all()
            )
            banks: set[int] = set()
            if titles:
                banks = {
                    int(p)
                    for p in session.exec(
                        select(Pledge.pledgee).where(col(Pledge.bill_id).in_(sorted(titles)))
                    ).all()
                }
            memo[key] = frozenset({org} | banks | self.agencies(session))
        found: frozenset[int] = memo[key]
        return found

    # -- subjects -----------------------------------------------------------------------------------
    def _place(self, session: Session, subject: str) -> tuple[str, Any] | None:
        """What a subject names: ("bill", id), ("org", id), ("container", number), ("bill", id) for a
        per-bill container or pledge subject; None if this node cannot place it."""
        value = int(subject, 16)
        if 0 < value < 1 << 32:
            return ("org", value)
        if session.get(Bill, subject) is not None:
            return ("bill", subject)
        with self._lock:
            found = self._lookup(subject)
            if found is None:
                self._learn(session)
                found = self._lookup(subject)
        return found

    def _lookup(self, subject: str) -> tuple[str, Any] | None:
        s = self._subjects
        if subject in s.containers:
            return ("container", s.containers[subject])
        if subject in s.bill_containers:
            return ("bill", s.bill_containers[subject][0])
        if subject in s.pledges:
            return ("bill", s.pledges[subject])
        return None

    def _learn(self, session: Session) -> None:
        s = self._subjects
        pairs: set[tuple[str, str]] = set(
            session.exec(select(ReleaseRight.bill_id, ReleaseRight.container_number)).all()
        )
        sealed_query = select(SealedDocument).order_by(col(SealedDocument.created_at))
        if s.sealed_through is not None:
            sealed_query = sealed_query.where(col(SealedDocument.created_at) >= s.sealed_through)
        for sealed in session.exec(sealed_query).all():
            pairs |= {(sealed.bill_id, number) for number in sealed.container_numbers}
            s.sealed_through = sealed.created_at
        for bill_id, number in pairs:
            if ("c", bill_id, number) in s.seen:
                continue
            s.seen.add(("c", bill_id, number))
            s.bills_of.setdefault(number, set()).add(bill_id)
            s.containers["0x" + ids.container_subject(number).hex()] = number
            s.bill_containers["0x" + ids.bill_container_subject(int(bill_id, 16), number).hex()] = (
                bill_id,
                number,
            )
        for bill_id, nonce in session.exec(select(Pledge.bill_id, Pledge.nonce)).all():
            if ("p", bill_id, str(nonce)) in s.seen:
                continue
            s.seen.add(("p", bill_id, str(nonce)))
            s.pledges["0x" + ids.pledge_subject(int(bill_id, 16), int(nonce)).hex()] = bill_id

    def of_attestation(self, session: Session, row: Attestation, memo: dict[Any, Any]) -> Audience:
        if self.vessel_schema and row.schema_id == self.vessel_schema:
            return EVERY_MEMBER
        return self.of_subject(session, row.subject, memo) | {row.attester}

    def of_subject(self, session: Session, subject: str, memo: dict[Any, Any]) -> frozenset[int]:
        """Who may see facts about ``subject`` (0x 32-byte hex), the attester aside."""
        key = ("subject", subject)
        if key not in memo:
            placed = self._place(session, subject)
            if placed is None:
                memo[key] = self.agencies(session)
            elif placed[0] == "org":
                memo[key] = self.of_org(session, placed[1], memo)
            elif placed[0] == "container":
                memo[key] = self.of_container(session, placed[1], memo)
            else:
                memo[key] = self.of_bill(session, placed[1], memo)
        found: frozenset[int] = memo[key]
        return found

    def may_see_fact(
        self, session: Session, org: int, subject: str, schema_id: str, attester: int, memo: dict[Any, Any]
    ) -> bool:
        """Whether ``org`` may see an attestation of ``schema_id`` by ``attester`` about ``subject``."""
        if org == attester or (self.vessel_schema and schema_id.lower() == self.vessel_schema):
            return True
        return org in self.of_subject(session, subject.lower(), memo)

    def visible_facts(self, db: Database, org: int, facts: Iterable[_F]) -> list[_F]:
        """The attestations among ``facts`` that ``org`` may see."""
        memo: dict[Any, Any] = {}
        with db.transaction() as session:
            return [
                f
                for f in facts
                if self.may_see_fact(
                    session, org, "0x" + f.subject.hex(), "0x" + f.schema_id.hex(), f.attester, memo
                )
            ]

    # -- events -------------------------------------------------------------------------------------
    def of_event(
        self, session: Session, contract: str, name: str, args: dict[str, Any], memo: dict[Any, Any]
    ) -> Audience:
        """Who may see one projected event (its arguments as the index stores them)."""
        if name in MEMBERSHIP_EVENTS:
            return EVERY_MEMBER
        named = _orgs_named(args)
        if name in GOVERNANCE_EVENTS:
            return self.governors() | named
        if name in ATTESTATION_EVENTS:
            uid = args.get("uid") or args.get("newUid")
            row = session.get(Attestation, uid) if isinstance(uid, str) else None
            if row is None:
                return self.agencies(session) | named
            audience = self.of_attestation(session, row, memo)
            return EVERY_MEMBER if audience is EVERY_MEMBER else audience | named
        bill = args.get("billId")
        if bill is None and isinstance(args.get("rightId"), str):
            right = session.get(ReleaseRight, args["rightId"])
            bill = right.bill_id if right is not None else None
        if bill is None:
            return named
        if contract == BILL_REGISTRY:
            key = ("parties", _hex32(bill))
            if key not in memo:
                memo[key] = frozenset(self.bill_parties(session, _hex32(bill)))
            parties: frozenset[int] = memo[key]
            return parties | named
        return self.of_bill(session, _hex32(bill), memo) | named


def _hex32(value: Any) -> str:
    number = value if isinstance(value, int) else int(str(value), 16)
    return f"0x{number:064x}"


def _orgs_named(args: dict[str, Any]) -> frozenset[int]:
    out = set()
    for key in _ORG_ARGS:
        value = args.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1 << 32:
            out.add(value)
    return frozenset(out)


def union(audiences: Iterable[Audience]) -> Audience:
    out: set[int] = set()
    for audience in audiences:
        if audience is EVERY_MEMBER:
            return EVERY_MEMBER
        out |= audience
    return frozenset(out)
