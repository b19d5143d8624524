"""A terminal clerk's question: may this container leave the gate now, for which haulier and which right,
and if not, every reason why (docs/design.md §1.3, the release gate).

Each reason has a stable code and a sentence. The facts come from the read models (the right, its
bill, the attestations about the bill, the container under the bill and the bare container); whether an
attestation is effective is the registry's answer (``isEffective``: revocation, expiry, schema and
attester role, recognitions), asked with ``eth_call`` as the other reads do; the time is the latest
block's. This is an explanation for people: the contract decides again at gate-out, and nothing here
writes. Visible to the right's terminal, its holder and carrier, the bill's parties and the agencies;
anyone else gets :class:`NotFound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ledger.chain import ChainClient, Contract
from ledger.db import Database
from ledger.domain import ids
from ledger.domain.values import check_container_number
from ledger.index.models import Attestation, Bill, Organisation, ReleaseRight
from ledger.services.audience import Audiences
from ledger.services.documents import SealedDocument
from ledger.services.errors import FieldProblem, NotFound, ValidationFailed

HAULIER_ROLE_BIT = 4

REASONS = {
    "NO_RIGHT": "no release right has been granted for this container",
    "RIGHT_NOT_ACTIVE": "the release right is {status}: it cannot be used at the gate",
    "RIGHT_NOT_YET_VALID": "the release right is valid only from {valid_from} (Unix time; now {now})",
    "RIGHT_EXPIRED": "the release right expired at {valid_until} (Unix time; now {now})",
    "NOT_NOMINATED": "the right's holder {holder} is not a haulier and has set no release code: "
    "it must nominate the haulier that collects",
    "BILL_NOT_ACCOMPLISHED": "the bill is {status}: a B/L must be surrendered for delivery and "
    "accepted (a sea waybill issued) before release",
    "NO_CUSTOMS_RELEASE": "no effective customs release on the bill or on this container under the "
    "bill since its current version was issued",
    "CUSTOMS_HOLD": "customs hold {uid} is effective on {about}",
}
"""Every reason's stable code and its sentence."""


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RightStatus:
    """One right (or, without a right, one bill) that could release the container, and what stops it."""

    bill_id: str
    right_id: str | None
    status: str | None
    holder: int | None
    terminal: int | None
    haulier: int | None
    """The haulier that may collect now: the holder when it is a haulier."""
    by_release_code: bool
    reasons: list[Reason]

    @property
    def ready(self) -> bool:
        return not self.reasons


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    container_number: str
    checked_at: int
    """The latest block's time the windows were compared with."""
    candidates: list[RightStatus]

    @property
    def ready(self) -> RightStatus | None:
        return next((c for c in self.candidates if c.ready), None)

    @property
    def best(self) -> RightStatus | None:
        """The ready right, else the one with the fewest reasons (active rights first)."""
        if not self.candidates:
            return None
        return self.ready or min(
            self.candidates, key=lambda c: (c.status != "GRANTED", c.right_id is None, len(c.reasons))
        )


class ReleaseReadiness:
    """Answers ``GET /v1/containers/{number}/release-status``."""

    def __init__(
        self,
        db: Database,
        audiences: Audiences,
        registry: Contract,
        chain: ChainClient,
        schemas: Mapping[str, str],
    ):
        self.db = db
        self.audiences = audiences
        self.registry = registry
        self.chain = chain
        self._release_schema = schemas.get("CUSTOMS_RELEASE", "").lower()
        self._hold_schema = schemas.get("CUSTOMS_HOLD", "").lower()

    def of_container(self, container_number: str, org: int) -> ContainerStatus:
        why = check_container_number(container_number)
        if why is not None:
            raise ValidationFailed([FieldProblem("path:containerNumber", "iso6346", why)])
        now = int(self.chain.latest_timestamp())
        with self.db.transaction() as session:
            agencies = self.audiences.agencies(session)
            rights = list(
                session.exec(
                    select(ReleaseRight)
                    .where(ReleaseRight.container_number == container_number)
                    .order_by(col(ReleaseRight.id))
                ).all()
            )
            candidates: list[RightStatus] = []
            for right in rights:
                parties = self.audiences.bill_parties(session, right.bill_id)
                if org in {right.terminal, right.holder, right.carrier} | parties | agencies:
                    candidates.append(self._right(session, right, now))
            if not rights:
                listed = {
                    s.bill_id
                    for s in session.exec(select(SealedDocument)).all()
                    if container_number in s.container_numbers
                }
                for bill_id in sorted(listed):
                    if org in self.audiences.bill_parties(session, bill_id) | agencies:
                        reasons = [Reason("NO_RIGHT", REASONS["NO_RIGHT"])]
                        reasons += self._bill(session, bill_id, container_number)
                        candidates.append(RightStatus(bill_id, None, None, None, None, None, False, reasons))
            if not candidates and org not in agencies:
                raise NotFound(f"no release status of container {container_number} for you")
        return ContainerStatus(container_number, now, candidates)

    # -- the gate's conditions -----------------------------------------------------------------------
    def _right(self, session: Session, right: ReleaseRight, now: int) -> RightStatus:
        reasons: list[Reason] = []
        if right.status != "GRANTED":
            reasons.append(
                Reason("RIGHT_NOT_ACTIVE", REASONS["RIGHT_NOT_ACTIVE"].format(status=right.status))
            )
        if now < right.valid_from:
            text = REASONS["RIGHT_NOT_YET_VALID"].format(valid_from=right.valid_from, now=now)
            reasons.append(Reason("RIGHT_NOT_YET_VALID", text, {"validFrom": str(right.valid_from)}))
        if now > right.valid_until:
            text = REASONS["RIGHT_EXPIRED"].format(valid_until=right.valid_until, now=now)
            reasons.append(Reason("RIGHT_EXPIRED", text, {"validUntil": str(right.valid_until)}))
        holder = session.get(Organisation, right.holder)
        is_haulier = holder is not None and bool(holder.roles >> HAULIER_ROLE_BIT & 1)
        by_code = right.code_hash is not None and int(right.code_hash, 16) != 0
        if not is_haulier and not by_code:
            text = REASONS["NOT_NOMINATED"].format(holder=holder.name if holder else right.holder)
            reasons.append(Reason("NOT_NOMINATED", text, {"holder": str(right.holder)}))
        reasons += self._bill(session, right.bill_id, right.container_number)
        return RightStatus(
            right.bill_id,
            right.id,
            right.status,
            right.holder,
            right.terminal,
            right.holder if is_haulier else None,
            by_code,
            reasons,
        )

    def _bill(self, session: Session, bill_id: str, container: str) -> list[Reason]:
        """The bill's part of the gate: accomplished (a sea waybill: issued), released, not held."""
        reasons: list[Reason] = []
        bill = session.get(Bill, bill_id)
        if bill is None:
            return [
                Reason("BILL_NOT_ACCOMPLISHED", REASONS["BILL_NOT_ACCOMPLISHED"].format(status="unknown"))
            ]
        fine = ("ISSUED", "ACCOMPLISHED") if bill.kind == "SWB" else ("ACCOMPLISHED",)
        if bill.status not in fine:
            text = REASONS["BILL_NOT_ACCOMPLISHED"].format(status=bill.status)
            reasons.append(Reason("BILL_NOT_ACCOMPLISHED", text, {"status": bill.status}))
        number = int(bill_id, 16)
        on_bill = "0x" + ids.bill_subject(number).hex()
        under_bill = "0x" + ids.bill_container_subject(number, container).hex()
        bare = "0x" + ids.container_subject(container).hex()
        about = {
            on_bill: "the bill",
            under_bill: f"container {container} under the bill",
            bare: f"container {container}",
        }
        facts = session.exec(
            select(Attestation).where(
                col(Attestation.subject).in_(sorted(about)),
                col(Attestation.schema_id).in_([self._release_schema, self._hold_schema]),
                col(Attestation.revocation_time) == 0,
            )
        ).all()
        issued_at = bill.version_issued_at or 0
        released = any(
            f.schema_id == self._release_schema
            and f.subject in (on_bill, under_bill)
            and f.time >= issued_at
            and self._effective(f.uid)
            for f in facts
        )
        if not released:
            reasons.append(Reason("NO_CUSTOMS_RELEASE", REASONS["NO_CUSTOMS_RELEASE"]))
        for fact in facts:
            if fact.schema_id == self._hold_schema and self._effective(fact.uid):
                text = REASONS["CUSTOMS_HOLD"].format(uid=fact.uid, about=about[fact.subject])
                reasons.append(Reason("CUSTOMS_HOLD", text, {"uid": fact.uid, "subject": fact.subject}))
        return reasons

    def _effective(self, uid: str) -> bool:
        return bool(self.registry.call("isEffective", bytes.fromhex(uid[2:])))
