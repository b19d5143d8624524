"""One title's causal chain as one list (docs/design.md §1.3: "one causal chain runs from the title to
the gate"): its actions and pledge requests, the attestations about the bill and its containers
(customs releases and holds above all), the release rights of its containers (grant, nomination,
release code, revocation) and the gate moves, in chain order (block, log index).

Built from the read models and the projected event log (``index_bill_history``, ``index_pledge``,
``index_attestation``, ``index_event``), never from chain logs. Filtered by docs/design.md §2: title
events by the bill's parties, facts and release events by :class:`ledger.services.audience.Audiences`.
An organisation that may see nothing of the title gets :class:`NotFound`, as for a title that does not
exist. Nothing here writes, and nothing here restates a title or release rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, col, select

from ledger.chain.deployment import ATTESTATION_REGISTRY, CONTAINER_RELEASE
from ledger.db import Database
from ledger.domain import ids
from ledger.index.models import (
    Attestation,
    BillHistory,
    IndexBlock,
    IndexEvent,
    Organisation,
    Pledge,
    ReleaseRight,
)
from ledger.index.models import Bill as BillRow
from ledger.services.audience import EVERY_MEMBER, Audiences
from ledger.services.documents import SealedDocument
from ledger.services.errors import NotFound

ACTIONS = {
    "ISSUE": "{actor} issued the title to {recipient}",
    "REISSUE": "{actor} re-issued the amended title (version {version}) to {recipient}",
    "TRANSFER": "{actor} transferred possession to {recipient}",
    "ENDORSE": "{actor} endorsed the title to {recipient}",
    "ENDORSE_TO_ORDER": "{actor} endorsed the title to the order of {recipient}",
    "BLANK_ENDORSE": "{actor} endorsed the title in blank",
    "SIGN": "{actor} signed the title",
    "REJECT": "{actor} rejected the last transfer or endorsement",
    "SURRENDER_FOR_DELIVERY": "{actor} surrendered the title to {recipient} for delivery",
    "SURRENDER_FOR_AMENDMENT": "{actor} surrendered the title to {recipient} for amendment",
    "SACC": "{actor} accepted the surrender",
    "SREJ": "{actor} rejected the surrender",
    "SWITCH_TO_PAPER": "{actor} switched the title to paper",
    "VOID": "{actor} voided the title",
    "PLEDGE": "{actor} pledged the title to {recipient}",
    "ACCEPT_PLEDGE": "{actor} accepted the pledge",
    "RELEASE_PLEDGE": "{actor} released the pledge",
    "ENFORCE_PLEDGE": "{actor} enforced the pledge and took the title",
}
RELEASE_KINDS = {
    "ReleaseGranted": "release",
    "ReleaseNominated": "release",
    "ReleaseCodeSet": "release",
    "ReleaseRevoked": "release",
    "GatedOut": "gate",
    "GatedIn": "gate",
}
ATTESTATION_NAMES = ("Attested", "Revoked", "Recognised")
"""The attestation events shown; a ``ReportAccepted`` travels with the ``Attested`` or ``Revoked`` it
made, and a ``Replaced`` with the ``Attested`` of the new attestation."""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of the title's causal chain, as the caller may see it."""

    block_number: int
    log_index: int
    tx_hash: str
    time: int
    kind: str
    """``title``, ``pledge``, ``attestation``, ``release`` or ``gate``."""
    event: str
    """The contract event (``BillActed``, ``Attested``, ``GatedOut``, …)."""
    action: str
    """The DCSA action code, the attestation's schema name, or the release event."""
    actor: int | None
    summary: str
    refs: dict[str, str] = field(default_factory=dict)
    """Ids the entry is about: ``rightId``, ``containerNumber``, ``uid``, ``subject``."""


class Timeline:
    """Answers ``GET /v1/bills/{id}/timeline`` from the index."""

    def __init__(self, db: Database, audiences: Audiences, schema_names: Mapping[str, str]):
        self.db = db
        self.audiences = audiences
        self._schema_names = {v.lower(): k for k, v in schema_names.items()}

    def of_bill(self, bill_id: int, org: int) -> list[TimelineEntry]:
        key = f"0x{bill_id:064x}"
        memo: dict[Any, Any] = {}
        with self.db.transaction() as session:
            bill = session.get(BillRow, key)
            parties = self.audiences.bill_parties(session, key) if bill is not None else set()
            if bill is None or (org not in parties and org not in self.audiences.of_bill(session, key, memo)):
                raise NotFound(f"no bill 0x{bill_id:064x}")
            names = _Names(session)
            entries: list[TimelineEntry] = []
            if org in parties:
                entries += self._title(session, key, names)
            entries += [
                e
                for e, audience in self._facts(session, bill_id, key, names, memo)
                if audience is EVERY_MEMBER or org in audience
            ]
            times = _times(session, {e.block_number for e in entries})
        entries.sort(key=lambda e: (e.block_number, e.log_index))
        return [_timed(e, times.get(e.block_number, e.time)) for e in entries]

    # -- title events --------------------------------------------------------------------------------
    def _title(self, session: Session, key: str, names: _Names) -> list[TimelineEntry]:
        out = []
        acted = set()
        for row in session.exec(select(BillHistory).where(BillHistory.bill_id == key)).all():
            acted.add(row.tx_hash)
            code = "REISSUE" if row.action_code == "ISSUE" and row.version > 1 else row.action_code
            text = ACTIONS.get(code, "{actor}: " + row.action_code)
            summary = text.format(actor=names(row.actor), recipient=names(row.recipient), version=row.version)
            if row.reason_code:
                summary += f" (reason {row.reason_code})"
            out.append(
                TimelineEntry(
                    row.block_number,
                    row.log_index,
                    row.tx_hash,
                    row.time,
                    "pledge" if "PLEDGE" in row.action_code else "title",
                    "BillActed",
                    row.action_code,
                    row.actor,
                    summary,
                )
            )
        for pledge in session.exec(select(Pledge).where(Pledge.bill_id == key)).all():
            if pledge.tx_hash in acted:
                continue  # the request's own BillActed entry tells it
            out.append(
                TimelineEntry(
                    pledge.requested_block,
                    pledge.log_index,
                    pledge.tx_hash,
                    0,
                    "pledge",
                    "BillPledgeRequested",
                    "PLEDGE",
                    pledge.pledgor,
                    f"{names(pledge.pledgor)} asked {names(pledge.pledgee)} to take the title as collateral "
                    f"for {pledge.amount} {pledge.currency}",
                )
            )
        return out

    # -- facts and release records --------------------------------------------------------------------
    def _facts(
        self, session: Session, bill_id: int, key: str, names: _Names, memo: dict[Any, Any]
    ) -> list[tuple[TimelineEntry, Any]]:
        rights = list(session.exec(select(ReleaseRight).where(ReleaseRight.bill_id == key)).all())
        containers = {r.container_number for r in rights}
        for sealed in session.exec(select(SealedDocument).where(SealedDocument.bill_id == key)).all():
            containers |= set(sealed.container_numbers)
        subjects = {"0x" + ids.bill_subject(bill_id).hex(): "the bill"}
        for number in sorted(containers):
            subjects["0x" + ids.bill_container_subject(bill_id, number).hex()] = (
                f"container {number} of the bill"
            )
            subjects["0x" + ids.container_subject(number).hex()] = f"container {number}"
        facts = {
            a.uid: a
            for a in session.exec(
                select(Attestation).where(col(Attestation.subject).in_(sorted(subjects)))
            ).all()
        }
        out: list[tuple[TimelineEntry, Any]] = []
        if facts:
            for event in session.exec(
                select(IndexEvent).where(
                    IndexEvent.contract == ATTESTATION_REGISTRY,
                    col(IndexEvent.name).in_(ATTESTATION_NAMES),
                    col(IndexEvent.args)["uid"].as_string().in_(sorted(facts)),
                )
            ).all():
                fact = facts[event.args["uid"]]
                audience = self.audiences.of_event(session, event.contract, event.name, event.args, memo)
                out.append((self._fact(event, fact, subjects[fact.subject], names), audience))
        by_id = {r.id: r for r in rights}
        if by_id:
            for event in session.exec(
                select(IndexEvent).where(
                    IndexEvent.contract == CONTAINER_RELEASE,
                    col(IndexEvent.name).in_(tuple(RELEASE_KINDS)),
                    col(IndexEvent.args)["rightId"].as_string().in_(sorted(by_id)),
                )
            ).all():
                right = by_id[event.args["rightId"]]
                audience = self.audiences.of_event(session, event.contract, event.name, event.args, memo)
                out.append((_release(event, right, names), audience))
        return out

    def _fact(self, event: IndexEvent, fact: Attestation, about: str, names: _Names) -> TimelineEntry:
        schema = self._schema_names.get(fact.schema_id.lower(), "attestation " + fact.schema_id[:10])
        label = schema.replace("_", " ").lower()
        verb = {"Attested": "attested", "Revoked": "revoked", "Recognised": "recognised"}[event.name]
        actor = fact.attester if event.name != "Recognised" else int(event.args.get("org") or 0)
        if event.name == "Recognised":
            summary = f"{names(actor)} recognised the {label} of {names(fact.attester)} about {about}"
        else:
            summary = f"{names(fact.attester)} {verb} a {label} about {about}"
        return TimelineEntry(
            event.block_number,
            event.log_index,
            event.tx_hash,
            fact.time,
            "attestation",
            event.name,
            schema,
            actor or None,
            summary,
            {"uid": fact.uid, "subject": fact.subject},
        )


def _release(event: IndexEvent, right: ReleaseRight, names: _Names) -> TimelineEntry:
    a, number = event.args, right.container_number
    if event.name == "ReleaseGranted":
        actor = int(a["carrier"])
        terms = a["terms"]
        summary = (
            f"{names(actor)} granted {names(int(a['holder']))} the release of container {number} "
            f"at {names(int(terms['terminal']))}"
        )
    elif event.name == "ReleaseNominated":
        actor = int(a["from"])
        summary = f"{names(actor)} nominated {names(int(a['to']))} to collect container {number}"
    elif event.name == "ReleaseCodeSet":
        actor = int(a["holder"])
        cleared = int(str(a["codeHash"]), 16) == 0
        what = "cleared the release code" if cleared else "set a one-time release code"
        summary = f"{names(actor)} {what} for container {number}"
    elif event.name == "ReleaseRevoked":
        actor = int(a["carrier"])
        summary = f"{names(actor)} revoked the release of container {number}"
    elif event.name == "GatedOut":
        actor = int(a["terminal"])
        laden = "laden" if a["eir"]["laden"] else "empty"
        who = "a haulier with the release code" if a["byReleaseCode"] else names(int(a["haulier"]))
        summary = f"{names(actor)} let container {number} ({laden}) out of the gate to {who}"
    else:
        actor = int(a["terminal"])
        laden = "laden" if a["eir"]["laden"] else "empty"
        summary = f"{names(actor)} took container {number} ({laden}) back in at the gate"
    return TimelineEntry(
        event.block_number,
        event.log_index,
        event.tx_hash,
        0,
        RELEASE_KINDS[event.name],
        event.name,
        event.name,
        actor or None,
        summary,
        {"rightId": right.id, "containerNumber": number},
    )


class _Names:
    """Organisation names from the index, looked up once per timeline."""

    def __init__(self, session: Session):
        self._names = {int(i): str(n) for i, n in session.exec(select(Organisation.id, Organisation.name))}

    def __call__(self, org: int | None) -> str:
        if not org:
            return "nobody"
        return self._names.get(org, f"organisation {org}")


def _times(session: Session, blocks: set[int]) -> dict[int, int]:
    if not blocks:
        return {}
    rows = session.exec(select(IndexBlock).where(col(IndexBlock.number).in_(sorted(blocks)))).all()
    return {row.number: row.timestamp for row in rows}


def _timed(entry: TimelineEntry, time: int) -> TimelineEntry:
    return entry if entry.time == time else replace(entry, time=time)
