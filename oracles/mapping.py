"""From typed facts to what goes on chain: k-of-n report drafts and the terminal's gate calls.

Pure and deterministic: every oracle signer runs this on the message it parsed itself, so two signers
with the same directory derive byte-identical reports (docs/design.md §1.5). The choices:

* ``CustomsDecision`` (CUSRES, China customs receipts) → ``CUSTOMS_RELEASE`` (a fact) or ``CUSTOMS_HOLD``
  (revocable), one report per subject: the bill (title id from the carrier and the transport document
  reference) when its carrier resolves, and each named container *under that bill* (the
  ``BILL_CONTAINER`` subject: a release counts only for the bill it names, never for a later voyage of
  the same box). A container named without a resolvable bill can still be held (bare container subject);
  a release for it is ``Skipped``, since the release gate would never count it.
* ``VesselMovement`` (maritime administration feed) and ``ContainerHandlingEvent`` (COARRI discharge /
  load) → ``VESSEL_EVENT``, signed by the maritime administration's oracles: the schema accredits the
  ``MARITIME`` role only, so a terminal's COARRI reaches the chain through the administration's signers.
  A vessel's subject is ``keccak256(abi.encode("IMO", imoNumber))``; a container's is the ISO 6346 subject.
* ``CreditLevelFact`` → ``CREDIT_LEVEL`` (revocable, expiring) about the organisation whose credit code the
  directory knows (else ``keccak256(abi.encode("USCC", code))``).
* ``GateEvent`` (CODECO) → the terminal's own ``gateOut`` / ``gateIn`` on the release right, never an
  attestation.

What has no path on chain (a credit-level revocation, a manifest arrival report, COARRI call summaries,
facts of another agency) becomes a ``Skipped`` with the reason, so the runner can count and log it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

import rfc8785
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger.domain import ids, schemas
from oracles.facts import (
    ContainerHandlingEvent,
    CreditLevelFact,
    CustomsDecision,
    CustomsDecisionType,
    Fact,
    FullEmpty,
    GateEvent,
    GateMovement,
    VesselMovement,
)

ZERO32 = b"\x00" * 32


class Agency(StrEnum):
    """Who runs an oracle: the facts it turns into chain writes."""

    CUSTOMS = "customs"  # CUSTOMS_RELEASE, CUSTOMS_HOLD, CREDIT_LEVEL reports
    MARITIME = "maritime"  # VESSEL_EVENT reports
    TERMINAL = "terminal"  # gate-out / gate-in on the release right


title_id = ids.title_id
vessel_subject = ids.vessel_subject


def credit_code_subject(credit_code: str) -> bytes:
    """Subject of an enterprise that is not a member: ``keccak256(abi.encode("USCC", code))``."""
    return keccak(abi_encode(["string", "string"], ["USCC", credit_code]))


def report_source_id(fact_source_id: str, subject: bytes) -> bytes:
    """The on-chain source id of the report about ``subject`` made from one fact.

    A message that names a bill and two containers yields three reports; each needs its own source id
    because the registry accepts a source id once per (agency, schema).
    """
    return keccak(abi_encode(["string", "bytes32"], [fact_source_id, subject]))


def unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("a fact time without a time zone cannot be placed on chain")
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class Directory:
    """What a signer must know besides the message: schema ids and organisations by the codes messages use.

    ``carriers``: carrier codes (SCAC, NAD+CF codes, the first four letters of a carrier's transport
    document references) → consortium org id. ``parties``: other party codes (haulier codes, Unified
    Social Credit Codes) → org id. ``default_carrier``: the carrier of a bill whose message names none.
    ``agency_org``: the reporting agency's own org id, which every report names (and signs).
    """

    schema_ids: Mapping[str, bytes]
    carriers: Mapping[str, int] = field(default_factory=dict)
    parties: Mapping[str, int] = field(default_factory=dict)
    default_carrier: int | None = None
    credit_validity_days: int = 365
    agency_org: int = 0

    def schema(self, name: str) -> bytes:
        return self.schema_ids.get(name) or schemas.WELL_KNOWN_SCHEMAS[name].schema_id

    def carrier_of(self, transport_document_reference: str, *codes: str | None) -> int | None:
        """The carrier org from the message's carrier codes, else the reference's 4-letter prefix."""
        for code in codes:
            if code and code in self.carriers:
                return self.carriers[code]
        prefix = transport_document_reference[:4].upper()
        if prefix in self.carriers:
            return self.carriers[prefix]
        return self.default_carrier


@dataclass(frozen=True, slots=True)
class ReportDraft:
    """A k-of-n report before its deadline is fixed (the deadline is the relayer's, not the fact's)."""

    schema_name: str
    schema: bytes
    subject: bytes
    source_id: bytes
    sequence: int
    data: bytes
    fact_source_id: str
    agency: int = 0

    def message(self, deadline: int) -> schemas.ReportMessage:
        return schemas.ReportMessage(
            agency=self.agency,
            schema=self.schema,
            subject=self.subject,
            source_id=self.source_id,
            sequence=self.sequence,
            data=self.data,
            deadline=deadline,
        )

    def matches(self, report: schemas.ReportMessage) -> bool:
        """Whether ``report`` says exactly this (every field but the deadline)."""
        return (
            report.agency == self.agency
            and report.action is schemas.ReportAction.ATTEST
            and report.target == ZERO32
            and report.schema == self.schema
            and report.subject == self.subject
            and report.source_id == self.source_id
            and report.sequence == self.sequence
            and report.data == self.data
        )

    @property
    def key(self) -> str:
        return "report:" + self.source_id.hex()


@dataclass(frozen=True, slots=True)
class Eir:
    """The ``EquipmentInterchange`` struct of a gate call."""

    laden: bool
    seals_hash: bytes
    damage_codes: tuple[str, ...]
    truck_plate_hash: bytes
    event_time: int
    eir_checksum: bytes

    def as_struct(self) -> tuple[bool, bytes, list[str], bytes, int, bytes]:
        return (
            self.laden,
            self.seals_hash,
            list(self.damage_codes),
            self.truck_plate_hash,
            self.event_time,
            self.eir_checksum,
        )


@dataclass(frozen=True, slots=True)
class GateCall:
    """The terminal's ``gateOut`` or ``gateIn`` for one container of one bill."""

    movement: GateMovement
    bill_id: int
    container_number: str
    haulier: int
    release_code: bytes
    """The code the haulier presented (RFF+RE); only its digest goes on chain."""
    eir: Eir
    fact_source_id: str

    @property
    def code_digest(self) -> bytes:
        """What ``gateOut`` takes: ``keccak256(code)``, or zero for an identity-based pick-up."""
        return ids.release_code_digest(self.release_code) if self.release_code else ZERO32

    @property
    def key(self) -> str:
        return "gate:" + self.fact_source_id


@dataclass(frozen=True, slots=True)
class Skipped:
    """A fact that leads to no chain write, and why."""

    fact_source_id: str
    reason: str

    @property
    def key(self) -> str:
        return "skip:" + self.fact_source_id


Action = ReportDraft | GateCall | Skipped

_AGENCY_OF_SCHEMA = {
    "CUSTOMS_RELEASE": Agency.CUSTOMS,
    "CUSTOMS_HOLD": Agency.CUSTOMS,
    "CREDIT_LEVEL": Agency.CUSTOMS,
    "VESSEL_EVENT": Agency.MARITIME,
}


def map_facts(facts: Sequence[Fact], directory: Directory, agency: Agency) -> list[Action]:
    """Every action of one message's facts for ``agency``, in message order."""
    out: list[Action] = []
    for fact in facts:
        out.extend(map_fact(fact, directory, agency))
    return out


def map_fact(fact: Fact, directory: Directory, agency: Agency) -> list[Action]:
    """The actions of one fact for ``agency`` (reports of other agencies become ``Skipped``)."""
    actions: list[Action]
    if isinstance(fact, GateEvent):
        actions = [_gate_call(fact, directory)]
        wanted = Agency.TERMINAL
    elif isinstance(fact, CustomsDecision):
        actions = list(_customs(fact, directory))
        wanted = Agency.CUSTOMS
    elif isinstance(fact, VesselMovement):
        actions = [_vessel_movement(fact, directory)]
        wanted = Agency.MARITIME
    elif isinstance(fact, ContainerHandlingEvent):
        actions = [_container_handling(fact, directory)]
        wanted = Agency.MARITIME
    elif isinstance(fact, CreditLevelFact):
        actions = [_credit_level(fact, directory)]
        wanted = Agency.CUSTOMS
    else:
        return [Skipped(fact.source_id, f"{fact.kind.value} facts are not written to the chain")]
    if agency is not wanted:
        return [Skipped(fact.source_id, f"{fact.kind.value} is for the {wanted.value} oracle")]
    return actions


# ---------------------------------------------------------------------------------------- customs


def _customs(fact: CustomsDecision, directory: Directory) -> list[Action]:
    subjects: list[bytes] = []
    bill: int | None = None
    if fact.transport_document_reference:
        carrier = directory.carrier_of(fact.transport_document_reference)
        if carrier is not None:
            bill = title_id(carrier, fact.transport_document_reference)
            subjects.append(schemas.bill_subject(bill))
    release = fact.decision is CustomsDecisionType.RELEASE
    skipped: list[Action] = []
    for container in fact.containers:
        if bill is not None:
            subjects.append(schemas.bill_container_subject(bill, container))
        elif release:
            skipped.append(
                Skipped(
                    fact.source_id, f"a release of {container} names no resolvable bill: it would never count"
                )
            )
        else:
            subjects.append(schemas.container_subject(container))
    if not subjects:
        return skipped or [Skipped(fact.source_id, "the decision names no resolvable bill and no container")]
    at = unix(fact.decided_at)
    declaration = fact.declaration_number or fact.source_record_id
    if release:
        name = "CUSTOMS_RELEASE"
        data = schemas.CUSTOMS_RELEASE.encode(
            {
                "declarationNumber": declaration,
                "customsOfficeCode": fact.customs_office or "",
                "releasedAt": at,
            }
        )
    else:
        name = "CUSTOMS_HOLD"
        data = schemas.CUSTOMS_HOLD.encode(
            {"declarationNumber": declaration, "reasonCode": fact.processing_indicator, "heldAt": at}
        )
    schema = directory.schema(name)
    drafts: list[Action] = [
        ReportDraft(
            name,
            schema,
            subject,
            report_source_id(fact.source_id, subject),
            at,
            data,
            fact.source_id,
            directory.agency_org,
        )
        for subject in dict.fromkeys(subjects)
    ]
    return drafts + skipped


def _credit_level(fact: CreditLevelFact, directory: Directory) -> Action:
    org = directory.parties.get(fact.organisation_id)
    subject = schemas.org_subject(org) if org is not None else credit_code_subject(fact.organisation_id)
    expires = fact.expires_on or (fact.effective_from + timedelta(days=directory.credit_validity_days))
    valid_until = _end_of_day(expires)
    data = schemas.CREDIT_LEVEL.encode(
        {"validUntil": valid_until, "creditCode": fact.organisation_id, "level": fact.level.value}
    )
    return ReportDraft(
        "CREDIT_LEVEL",
        directory.schema("CREDIT_LEVEL"),
        subject,
        report_source_id(fact.source_id, subject),
        _end_of_day(fact.effective_from) - 86_399,
        data,
        fact.source_id,
        directory.agency_org,
    )


def _end_of_day(day: date) -> int:
    return int(datetime.combine(day, time(23, 59, 59), tzinfo=UTC).timestamp())


# ---------------------------------------------------------------------------------------- vessels


def _vessel_movement(fact: VesselMovement, directory: Directory) -> Action:
    subject = vessel_subject(fact.imo_number)
    at = unix(fact.event_time)
    data = schemas.VESSEL_EVENT.encode(
        {
            "imoNumber": fact.imo_number,
            "eventCode": fact.movement.value,
            "unLocode": fact.port.port_code,
            "eventTime": at,
        }
    )
    return ReportDraft(
        "VESSEL_EVENT",
        directory.schema("VESSEL_EVENT"),
        subject,
        report_source_id(fact.source_id, subject),
        at,
        data,
        fact.source_id,
        directory.agency_org,
    )


def _container_handling(fact: ContainerHandlingEvent, directory: Directory) -> Action:
    if fact.event_time is None:
        return Skipped(fact.source_id, "the COARRI equipment group carries no handling time (DTM+203)")
    subject = schemas.container_subject(fact.container.container_number)
    at = unix(fact.event_time)
    imo = fact.vessel.identifier if fact.vessel.scheme == "IMO" and fact.vessel.identifier else ""
    port = fact.terminal.location.port_code if fact.terminal is not None else ""
    data = schemas.VESSEL_EVENT.encode(
        {"imoNumber": imo, "eventCode": fact.movement.value, "unLocode": port, "eventTime": at}
    )
    return ReportDraft(
        "VESSEL_EVENT",
        directory.schema("VESSEL_EVENT"),
        subject,
        report_source_id(fact.source_id, subject),
        at,
        data,
        fact.source_id,
        directory.agency_org,
    )


# ---------------------------------------------------------------------------------------- gates


def _gate_call(fact: GateEvent, directory: Directory) -> Action:
    reference = fact.transport_document_reference
    if not reference:
        return Skipped(fact.source_id, "the gate event names no transport document (RFF+BM)")
    carrier = directory.carrier_of(reference, fact.vessel.carrier if fact.vessel else None)
    if carrier is None:
        return Skipped(fact.source_id, f"no carrier organisation known for {reference}")
    haulier = directory.parties.get(fact.haulier or "", 0)
    release = fact.release_reference
    seals = sorted(seal.number for seal in fact.seals)
    damages = tuple(
        "-".join(part for part in (d.type_code, d.area_code, d.severity_code) if part) for d in fact.damages
    )
    document = {
        "sourceId": fact.source_id,
        "documentNumber": fact.document_number,
        "movement": fact.movement.value,
        "containerNumber": fact.container.container_number,
        "fullEmpty": fact.container.full_empty.value if fact.container.full_empty else None,
        "eventTime": fact.event_time.isoformat(),
        "seals": seals,
        "damages": list(damages),
        "haulier": fact.haulier,
    }
    eir = Eir(
        laden=fact.container.full_empty is FullEmpty.LADEN,
        seals_hash=keccak(abi_encode(["string[]"], [seals])) if seals else ZERO32,
        damage_codes=damages,
        truck_plate_hash=keccak(text=fact.truck_plate) if fact.truck_plate else ZERO32,
        event_time=unix(fact.event_time),
        eir_checksum=hashlib.sha256(rfc8785.dumps(document)).digest(),
    )
    return GateCall(
        movement=fact.movement,
        bill_id=title_id(carrier, reference),
        container_number=fact.container.container_number,
        haulier=haulier,
        release_code=release.encode() if release and fact.movement is GateMovement.GATE_OUT else b"",
        eir=eir,
        fact_source_id=fact.source_id,
    )


def agency_of_schema(name: str) -> Agency:
    return _AGENCY_OF_SCHEMA[name]
