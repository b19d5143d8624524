"""What the CODECO, COARRI and CUSRES adapters read out of the samples, field by field."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger.domain.reference import SizeTypeSource
from oracles.adapters.coarri import CoarriAdapter
from oracles.adapters.codeco import CodecoAdapter
from oracles.adapters.cusres import CusresAdapter
from oracles.base import AdapterSettings, MessageRejected, RejectionCode
from oracles.facts import (
    ContainerHandlingEvent,
    CustomsDecision,
    CustomsDecisionType,
    Damage,
    FullEmpty,
    GateEvent,
    GateMovement,
    HandlingMovement,
    MessageFunction,
    Seal,
    VesselOperationsReport,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "edifact"


def _raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _gate_events(raw: bytes, adapter: CodecoAdapter | None = None) -> list[GateEvent]:
    facts = (adapter or CodecoAdapter()).parse(raw).facts
    assert all(isinstance(f, GateEvent) for f in facts)
    return [f for f in facts if isinstance(f, GateEvent)]


SHANGHAI = _raw("codeco_d95b_SYNTHETIC_shanghai_eir.edi")


def test_codeco_empty_gate_out_against_booking_carries_damage_truck_and_haulier() -> None:
    event = _gate_events(SHANGHAI)[0]
    assert event.source_id == "edifact:SIPGDEMO:EIRX0001:EIR0001:CSQU3054383"
    assert event.movement is GateMovement.GATE_OUT
    assert event.message_function is MessageFunction.ORIGINAL
    assert event.document_number == "EIRSH2026011500001"
    assert event.container.container_number == "CSQU3054383"
    assert event.container.full_empty is FullEmpty.EMPTY
    assert event.container.size_type_code == "22G1"
    assert event.booking_reference == "SHA2026BK0001"
    assert event.transport_document_reference is None
    assert event.event_time == datetime(2026, 1, 15, 9, 12)
    assert event.damages == (Damage("DT", "DENT", "LX", "LEFT SIDE", "MI", "MINOR"),)
    assert event.truck_plate == "HUA12345"
    assert event.haulier == "DEMOHAUL"
    assert event.terminal is not None
    assert event.terminal.terminal_code == "DEMOTERM"
    assert event.terminal.location.as_sent == "CNSHA"
    assert event.terminal.location.port_code == "CNSHG"
    assert event.terminal.location.legacy_alias is True


def test_codeco_laden_import_gate_out_carries_bill_release_number_and_seals() -> None:
    event = _gate_events(SHANGHAI)[1]
    assert event.movement is GateMovement.GATE_OUT
    assert event.container.full_empty is FullEmpty.LADEN
    assert event.transport_document_reference == "COSU0000000001"
    assert event.release_reference == "REL20260115001"
    assert event.seals == (Seal("CN1234567", "CA"), Seal("SH987654", "SH"))
    assert event.truck_plate == "HUB67890"
    assert event.equipment_status == "3"


def test_codeco_export_gate_in_carries_vgm_vessel_and_ports() -> None:
    event = _gate_events(SHANGHAI)[2]
    assert event.movement is GateMovement.GATE_IN
    assert event.container.container_number == "TEMU3412100"  # ISO 6346 remainder 10 → check digit 0
    assert event.container.check_digit_valid is True
    assert [(m.attribute, m.unit, m.value) for m in event.measurements] == [("VGM", "KGM", Decimal("21450"))]
    assert event.vessel is not None
    assert (event.vessel.identifier, event.vessel.scheme, event.vessel.name) == (
        "9300001",
        "IMO",
        "EXAMPLE VESSEL",
    )
    assert event.port_of_loading is not None and event.port_of_loading.port_code == "CNSHG"
    assert event.port_of_discharge is not None and event.port_of_discharge.port_code == "NLRTM"


def test_codeco_times_take_the_configured_time_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    event = _gate_events(SHANGHAI, CodecoAdapter(time_zone=shanghai))[0]
    assert event.event_time == datetime(2026, 1, 15, 9, 12, tzinfo=shanghai)


def test_huelva_codeco_under_lenient_check_decodes_pallet_wide_size_type_and_tolerates_dtm_act() -> None:
    adapter = CodecoAdapter(AdapterSettings(strict_container_check=False))
    result = adapter.parse(_raw("codeco_d95b_smdg16_huelva_smartdatamodels.edi"))
    event = result.facts[0]
    assert isinstance(event, GateEvent)
    assert event.movement is GateMovement.GATE_IN
    assert event.container.check_digit_valid is False
    size = event.container.size_type
    assert size is not None
    assert (size.code, size.length, size.height, size.pallet_wide) == ("4EG1", "40 ft", "9 ft 6 in", True)
    assert size.source is SizeTypeSource.DECODED
    assert event.truck_plate == "993NGR"
    assert event.terminal is not None and event.terminal.terminal_code == "CONCHUV"
    assert event.event_time == datetime(2023, 8, 11, 14, 47)
    assert any(w.segment == "DTM" and "ACT" in w.reason for w in result.warnings)


def test_coarri_gives_a_vessel_report_then_one_event_per_container() -> None:
    facts = CoarriAdapter().parse(_raw("coarri_d95b_itg13_genoa_php-edifact.edi")).facts
    reports = [f for f in facts if isinstance(f, VesselOperationsReport)]
    events = [f for f in facts if isinstance(f, ContainerHandlingEvent)]
    assert [(r.movement, r.container_count) for r in reports] == [
        (HandlingMovement.DISCHARGE, 2),
        (HandlingMovement.LOAD, 19),
    ]
    discharge = reports[0]
    assert discharge.vessel.identifier == "3ERX3"
    assert discharge.vessel.scheme == "CALL_SIGN"
    assert discharge.vessel.name == "COSCO AFRICA"
    assert discharge.vessel.voyage == "031W"
    assert discharge.terminal is not None and discharge.terminal.terminal_code == "VTE"
    assert discharge.first_move == datetime(2016, 2, 3, 9, 11)
    assert discharge.last_move == datetime(2016, 2, 3, 9, 13)
    first = events[0]
    assert first.container.container_number == "FCIU9908030"
    assert first.stowage_location == "380886"
    assert first.event_time == datetime(2016, 2, 3, 9, 13)
    remainder_ten = {"TRLU8132090", "FSCU8710190", "TEMU3412100", "FSCU8459470"}
    assert remainder_ten <= {e.container.container_number for e in events}
    assert all(e.container.check_digit_valid for e in events)
    loaded = [e for e in events if e.movement is HandlingMovement.LOAD]
    assert loaded[0].references[0].value == "9000157890"
    assert loaded[0].port_of_discharge is not None and loaded[0].port_of_discharge.port_code == "GRPIR"


def test_cusres_release_names_bill_containers_declaration_and_time() -> None:
    decision = CusresAdapter().parse(_raw("cusres_d96b_SYNTHETIC_release.edi")).facts[0]
    assert isinstance(decision, CustomsDecision)
    assert decision.source_id == "edifact:CUSTOMSGW:CR000001:1"
    assert decision.decision is CustomsDecisionType.RELEASE
    assert decision.source_record_id == "DEC20260115000123"
    assert decision.transport_document_reference == "EXAMPLEBL0001"
    assert decision.declaration_number == "223320260000012345"
    assert decision.containers == ("CSQU3054383", "MSKU1234565")
    assert decision.decided_at == datetime(2026, 1, 15, 9, 30)
    assert decision.customs_office == "CNSGH"
    assert decision.processing_indicator == "1"


def test_cusres_hold_indicator_gives_a_hold() -> None:
    raw = _raw("cusres_d96b_SYNTHETIC_release.edi").replace(b"GIS+1:120:ZZZ", b"GIS+2:120:ZZZ")
    decision = CusresAdapter().parse(raw).facts[0]
    assert isinstance(decision, CustomsDecision)
    assert decision.decision is CustomsDecisionType.HOLD


def test_cusres_processing_indicators_are_configuration() -> None:
    raw = _raw("cusres_d96b_SYNTHETIC_release.edi").replace(b"GIS+1:120:ZZZ", b"GIS+A1:120:ZZZ")
    adapter = CusresAdapter(processing_indicators={"A1": CustomsDecisionType.RELEASE})
    decision = adapter.parse(raw).facts[0]
    assert isinstance(decision, CustomsDecision)
    assert decision.decision is CustomsDecisionType.RELEASE
    with pytest.raises(MessageRejected) as caught:
        CusresAdapter().parse(raw)
    assert (caught.value.code, caught.value.segment) == (RejectionCode.UNKNOWN_QUALIFIER, "GIS")


def test_cusres_without_bill_or_containers_is_rejected() -> None:
    raw = _raw("cusres_d96b_SYNTHETIC_release.edi")
    for old in (b"EQD+CN+CSQU3054383'\n", b"EQD+CN+MSKU1234565'\n", b"RFF+BM:EXAMPLEBL0001'\n"):
        raw = raw.replace(old, b"")
    raw = raw.replace(b"UNT+14+1", b"UNT+11+1")
    with pytest.raises(MessageRejected) as caught:
        CusresAdapter().parse(raw)
    assert (caught.value.code, caught.value.segment) == (RejectionCode.MISSING_ELEMENT, "BGM")


def test_cusres_with_contradicting_indicators_is_rejected() -> None:
    raw = _raw("cusres_d96b_SYNTHETIC_release.edi").replace(
        b"GIS+1:120:ZZZ'", b"GIS+1:120:ZZZ'\nGIS+2:120:ZZZ'"
    )
    raw = raw.replace(b"UNT+14+1", b"UNT+15+1")
    with pytest.raises(MessageRejected) as caught:
        CusresAdapter().parse(raw)
    assert (caught.value.code, caught.value.segment) == (RejectionCode.INVALID_VALUE, "GIS")
