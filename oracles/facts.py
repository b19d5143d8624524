"""The typed facts adapters return: frozen values, one class per kind of event or decision.

Every fact carries a ``source_id`` that is stable across re-deliveries of the same message (sender,
interchange control reference, message reference, and the container where a message holds several)
so that the runner can deduplicate, and a ``kind``. Facts say what the message says; whether one
becomes an attestation (customs decisions, vessel movements, credit levels) or a call on the release
right (gate events, which are *not* attestations) is decided by the runner and the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from ledger.domain.reference import CreditLevel, CreditRegime, PortLocation, SizeType


class FactKind(StrEnum):
    GATE_EVENT = "GATE_EVENT"  # CODECO gate-in / gate-out (EIR data), recorded on the release right
    CONTAINER_HANDLING = "CONTAINER_HANDLING"  # COARRI: one container discharged or loaded
    VESSEL_OPERATIONS = "VESSEL_OPERATIONS"  # COARRI: one discharge or loading report of a vessel call
    CUSTOMS_DECISION = "CUSTOMS_DECISION"  # CUSRES / China declaration receipt: release or hold
    MANIFEST_ARRIVAL = "MANIFEST_ARRIVAL"  # China manifest MT3101: containers arrived at the terminal
    VESSEL_MOVEMENT = "VESSEL_MOVEMENT"  # maritime administration: vessel arrived / departed
    CREDIT_LEVEL = "CREDIT_LEVEL"  # customs enterprise credit level (revocable, expiring)
    CREDIT_LEVEL_REVOCATION = "CREDIT_LEVEL_REVOCATION"  # withdraws an earlier credit-level record


class MessageFunction(StrEnum):
    """BGM 1225 (and the XML/JSON equivalents)."""

    ORIGINAL = "ORIGINAL"  # 9
    REPLACE = "REPLACE"  # 5
    CANCELLATION = "CANCELLATION"  # 1
    DELETION = "DELETION"  # 3
    CHANGE = "CHANGE"  # 4


class GateMovement(StrEnum):
    """CODECO BGM 1001: 34 gate-in, 36 gate-out; values are the DCSA equipment event codes."""

    GATE_IN = "GTIN"
    GATE_OUT = "GTOT"


class HandlingMovement(StrEnum):
    """COARRI BGM 1001: 44 discharge, 46 loading; values are the DCSA equipment event codes."""

    DISCHARGE = "DISC"
    LOAD = "LOAD"


class FullEmpty(StrEnum):
    """EQD 8169: 4 empty, 5 full (laden)."""

    EMPTY = "EMPTY"
    LADEN = "LADEN"


class CustomsDecisionType(StrEnum):
    RELEASE = "RELEASE"  # a fact: released at t
    HOLD = "HOLD"  # a revocable state


class VesselMovementType(StrEnum):
    """DCSA transport event type codes."""

    ARRIVAL = "ARRI"
    DEPARTURE = "DEPA"


@dataclass(frozen=True, slots=True)
class Reference:
    """An RFF reference: qualifier (BN booking, BM bill of lading, RE release, AAJ delivery order...)."""

    qualifier: str
    value: str


@dataclass(frozen=True, slots=True)
class Seal:
    number: str
    party: str | None  # SEL 9303: SH shipper, CA carrier, CU customs, TO terminal operator


@dataclass(frozen=True, slots=True)
class Damage:
    """DAM (with its COD components): type, area and severity as the partner's code list sends them."""

    type_code: str | None
    type_text: str | None
    area_code: str | None
    area_text: str | None
    severity_code: str | None
    severity_text: str | None
    components: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Measurement:
    """MEA: e.g. attribute VGM / G / T, unit KGM."""

    attribute: str
    unit: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class VesselRef:
    """A vessel as a message names it; ``scheme`` says what ``identifier`` is (IMO, CALL_SIGN, OTHER)."""

    identifier: str | None
    scheme: str | None
    name: str | None
    voyage: str | None
    carrier: str | None


@dataclass(frozen=True, slots=True)
class TerminalRef:
    """LOC with a terminal: the port (legacy Chinese codes normalised) and the terminal's own code."""

    location: PortLocation
    terminal_code: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """Base of every fact: ``source_id`` deduplicates re-deliveries; ``kind`` names the class."""

    kind: ClassVar[FactKind]
    source_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerFields:
    """What every per-container fact says about the box."""

    container_number: str
    check_digit_valid: bool
    size_type_code: str | None
    size_type: SizeType | None
    full_empty: FullEmpty | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GateEvent(Fact):
    """A terminal gate-in or gate-out (EIR data) from CODECO. Not an attestation: the terminal
    records it on the release right."""

    kind: ClassVar[FactKind] = FactKind.GATE_EVENT
    movement: GateMovement
    message_function: MessageFunction
    document_number: str | None  # BGM 1004, the EIR number when the terminal sends one
    container: ContainerFields
    equipment_status: str | None  # EQD 8249: 2 export, 3 import, 6 transhipment
    equipment_supplier: str | None  # EQD 8077: 1 shipper (SOC), 2 carrier (COC)
    event_time: datetime
    terminal: TerminalRef | None  # LOC+165
    references: tuple[Reference, ...]
    seals: tuple[Seal, ...]
    damages: tuple[Damage, ...]
    truck_plate: str | None  # TDT+1 ... <plate>:146
    haulier: str | None  # NAD+CA inside the equipment group
    measurements: tuple[Measurement, ...]
    vessel: VesselRef | None
    port_of_loading: PortLocation | None
    port_of_discharge: PortLocation | None

    def reference(self, qualifier: str) -> str | None:
        """The first reference with this qualifier (BN, BM, RE, AAJ, ...)."""
        return next((r.value for r in self.references if r.qualifier == qualifier), None)

    @property
    def booking_reference(self) -> str | None:
        return self.reference("BN")

    @property
    def transport_document_reference(self) -> str | None:
        return self.reference("BM")

    @property
    def release_reference(self) -> str | None:
        return self.reference("RE") or self.reference("AAJ")


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerHandlingEvent(Fact):
    """One container discharged from or loaded onto a vessel (COARRI equipment group)."""

    kind: ClassVar[FactKind] = FactKind.CONTAINER_HANDLING
    movement: HandlingMovement
    message_function: MessageFunction
    container: ContainerFields
    equipment_status: str | None
    event_time: datetime | None  # DTM+203 in the equipment group (ITG/SMDG usage)
    vessel: VesselRef
    terminal: TerminalRef | None
    stowage_location: str | None  # LOC+147 bay-row-tier
    port_of_loading: PortLocation | None
    port_of_discharge: PortLocation | None
    references: tuple[Reference, ...]
    seals: tuple[Seal, ...]
    measurements: tuple[Measurement, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VesselOperationsReport(Fact):
    """One COARRI message: the discharge or loading of a vessel call at a terminal."""

    kind: ClassVar[FactKind] = FactKind.VESSEL_OPERATIONS
    movement: HandlingMovement
    message_function: MessageFunction
    document_number: str | None
    vessel: VesselRef
    terminal: TerminalRef | None
    container_count: int
    estimated_arrival: datetime | None  # DTM+132
    estimated_departure: datetime | None  # DTM+133
    first_move: datetime | None
    last_move: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomsDecision(Fact):
    """Customs released or held a transport document (B/L) and/or containers."""

    kind: ClassVar[FactKind] = FactKind.CUSTOMS_DECISION
    decision: CustomsDecisionType
    source_record_id: str  # the customs record: CUSRES BGM 1004, declaration ENTRY_ID, ...
    transport_document_reference: str | None  # RFF+BM / BILL_NO
    declaration_number: str | None  # RFF+ABT / ENTRY_ID
    containers: tuple[str, ...]
    decided_at: datetime
    customs_office: str | None
    declarant: str | None
    processing_indicator: str  # the code the decision was read from (GIS, CHANNEL)
    references: tuple[Reference, ...]
    remarks: str | None


@dataclass(frozen=True, slots=True)
class ManifestEquipment:
    container_number: str
    check_digit_valid: bool
    characteristic_code: str | None  # customs equipment code, e.g. 22GP (not the ISO size-type)
    fullness_code: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestArrivalReport(Fact):
    """China manifest MT3101 (运抵报告): the terminal reports export containers arrived. It is the
    terminal's report to customs, not a customs release."""

    kind: ClassVar[FactKind] = FactKind.MANIFEST_ARRIVAL
    message_type: str
    function_code: str
    sender_id: str
    sent_at: datetime
    customs_office: str | None
    vessel: VesselRef
    unloading_location: PortLocation | None
    unloading_customs_district: str | None
    arrival_date: date | None
    equipment: tuple[ManifestEquipment, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VesselMovement(Fact):
    """The maritime administration reports that a vessel arrived at or departed from a port."""

    kind: ClassVar[FactKind] = FactKind.VESSEL_MOVEMENT
    movement: VesselMovementType
    imo_number: str
    vessel_name: str | None
    call_sign: str | None
    voyage: str | None
    port: PortLocation
    berth: str | None
    event_time: datetime  # always with a time zone
    reported_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLevelFact(Fact):
    """An enterprise's customs credit level (revocable, and expiring when ``expires_on`` is set)."""

    kind: ClassVar[FactKind] = FactKind.CREDIT_LEVEL
    organisation_id: str  # Unified Social Credit Code
    customs_code: str | None  # 10-digit customs registration code
    regime: CreditRegime
    level: CreditLevel
    is_aeo: bool
    aeo_code: str | None  # AEOCN + 10 digits
    effective_from: date
    expires_on: date | None
    source_ref: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLevelRevocation(Fact):
    """Withdraws the credit-level record ``revokes_source_id`` (downgrade, error, cancellation)."""

    kind: ClassVar[FactKind] = FactKind.CREDIT_LEVEL_REVOCATION
    revokes_source_id: str
    organisation_id: str
    revoked_on: date
    source_ref: str
