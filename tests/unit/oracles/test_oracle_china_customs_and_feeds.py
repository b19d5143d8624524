"""China customs XML (MT3101 manifest, DEC_RESULT receipts), the MSA vessel-movement feed and the
customs credit-level feed."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.reference import CreditLevel, CreditRegime
from oracles.adapters.china_customs import ChinaCustomsXmlAdapter
from oracles.adapters.credit_levels import CreditLevelFeedAdapter
from oracles.adapters.msa_vessels import MsaVesselFeedAdapter
from oracles.base import AdapterSettings, MessageRejected, RejectionCode, UnsupportedMessage
from oracles.facts import (
    CreditLevelFact,
    CreditLevelRevocation,
    CustomsDecision,
    CustomsDecisionType,
    ManifestArrivalReport,
    VesselMovement,
    VesselMovementType,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "customs"
BEIJING = timezone(timedelta(hours=8))
MT3101 = (FIXTURES / "china_manifest_MT3101_SYNTHETIC.xml").read_bytes()
RELEASE = (FIXTURES / "dec_result_release_SYNTHETIC.xml").read_bytes()
HOLD = (FIXTURES / "dec_result_hold_SYNTHETIC.xml").read_bytes()
MSA = (FIXTURES / "msa_vessel_movements_SYNTHETIC.json").read_bytes()
CREDIT_CSV = (FIXTURES / "credit_levels_SYNTHETIC.csv").read_bytes()
CREDIT_JSON = (FIXTURES / "credit_levels_SYNTHETIC.json").read_bytes()


def _rejection(adapter: Any, raw: bytes) -> MessageRejected:
    with pytest.raises(MessageRejected) as caught:
        adapter.parse(raw)
    return caught.value


# -- China customs XML ---------------------------------------------------------------------------


def test_mt3101_gives_an_arrival_report_with_vessel_location_and_containers() -> None:
    report = ChinaCustomsXmlAdapter().parse(MT3101).facts[0]
    assert isinstance(report, ManifestArrivalReport)
    assert report.source_id == "cn-manifest:2200DEMO00001_20260115141000123"
    assert report.message_type == "MT3101"
    assert report.sent_at == datetime(2026, 1, 15, 14, 10, 0, 123000, tzinfo=BEIJING)
    assert (report.vessel.identifier, report.vessel.scheme, report.vessel.voyage) == (
        "9300001",
        "IMO",
        "026E",
    )
    assert report.unloading_location is not None and report.unloading_location.port_code == "CNSHG"
    assert report.unloading_customs_district == "2200"
    assert report.arrival_date == date(2026, 1, 15)
    assert [(e.container_number, e.characteristic_code, e.fullness_code) for e in report.equipment] == [
        ("TEMU3412100", "22GP", "5")
    ]


def test_mt3101_with_bad_container_check_digit_is_rejected_unless_lenient() -> None:
    raw = MT3101.replace(b"TEMU3412100", b"TEMU3412101")
    rejection = _rejection(ChinaCustomsXmlAdapter(), raw)
    assert rejection.code is RejectionCode.CONTAINER_CHECK_DIGIT
    assert rejection.segment == "Manifest/Declaration/TransportEquipment/EquipmentIdentification/ID"
    lenient = ChinaCustomsXmlAdapter(AdapterSettings(strict_container_check=False)).parse(raw)
    report = lenient.facts[0]
    assert isinstance(report, ManifestArrivalReport)
    assert report.equipment[0].check_digit_valid is False
    assert [w.code for w in lenient.warnings] == [RejectionCode.CONTAINER_CHECK_DIGIT]


def test_manifest_whose_message_type_differs_from_its_namespace_is_rejected() -> None:
    raw = MT3101.replace(b"<MessageType>MT3101</MessageType>", b"<MessageType>MT2101</MessageType>")
    rejection = _rejection(ChinaCustomsXmlAdapter(), raw)
    assert rejection.code is RejectionCode.CONTROL_REFERENCE_MISMATCH


def test_other_manifest_message_types_are_unsupported() -> None:
    raw = MT3101.replace(b"MT3101", b"MT1101")
    with pytest.raises(UnsupportedMessage):
        ChinaCustomsXmlAdapter().parse(raw)


def test_manifest_without_send_time_names_the_missing_element() -> None:
    raw = MT3101.replace(b"<SendTime>20260115141000123</SendTime>", b"")
    rejection = _rejection(ChinaCustomsXmlAdapter(), raw)
    assert (rejection.code, rejection.segment) == (RejectionCode.MISSING_ELEMENT, "Manifest/Head/SendTime")


def test_declaration_receipts_give_release_and_hold_decisions_for_the_bill() -> None:
    release = ChinaCustomsXmlAdapter().parse(RELEASE).facts[0]
    hold = ChinaCustomsXmlAdapter().parse(HOLD).facts[0]
    assert isinstance(release, CustomsDecision) and isinstance(hold, CustomsDecision)
    assert release.decision is CustomsDecisionType.RELEASE
    assert hold.decision is CustomsDecisionType.HOLD
    assert release.transport_document_reference == hold.transport_document_reference == "EXAMPLEBL0001"
    assert release.source_record_id == "223320260000012345"
    assert release.decided_at == datetime(2026, 1, 15, 9, 28, tzinfo=BEIJING)
    assert release.source_id != hold.source_id


def test_declaration_receipt_with_unconfigured_channel_is_rejected() -> None:
    raw = RELEASE.replace(b"<CHANNEL>RELEASE</CHANNEL>", b"<CHANNEL>L</CHANNEL>")
    rejection = _rejection(ChinaCustomsXmlAdapter(), raw)
    assert (rejection.code, rejection.segment) == (RejectionCode.UNKNOWN_QUALIFIER, "DEC_RESULT/CHANNEL")
    configured = ChinaCustomsXmlAdapter(channel_decisions={"L": CustomsDecisionType.RELEASE}).parse(raw)
    decision = configured.facts[0]
    assert isinstance(decision, CustomsDecision) and decision.decision is CustomsDecisionType.RELEASE


def test_xml_with_a_doctype_is_refused_before_parsing() -> None:
    raw = RELEASE.replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>',
    )
    assert _rejection(ChinaCustomsXmlAdapter(), raw).code is RejectionCode.SYNTAX_ERROR


def test_malformed_xml_is_a_syntax_error() -> None:
    assert _rejection(ChinaCustomsXmlAdapter(), RELEASE[:-30]).code is RejectionCode.SYNTAX_ERROR


# -- MSA vessel movements ------------------------------------------------------------------------


def _msa(**changes: Any) -> bytes:
    document = json.loads(MSA)
    document["movements"][0].update(changes)
    return json.dumps(document).encode()


def test_msa_feed_gives_arrival_and_departure_with_normalised_port() -> None:
    facts = MsaVesselFeedAdapter().parse(MSA).facts
    assert all(isinstance(f, VesselMovement) for f in facts)
    arrival, departure = (f for f in facts if isinstance(f, VesselMovement))
    assert arrival.movement is VesselMovementType.ARRIVAL
    assert departure.movement is VesselMovementType.DEPARTURE
    assert arrival.source_id == "msa:SHMSA-DEMO:SHMSA-20260115-000101"
    assert arrival.port.as_sent == "CNSHA" and arrival.port.port_code == "CNSHG"
    assert arrival.event_time == datetime(2026, 1, 15, 6, 30, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"imoNumber": "9300002"}, RejectionCode.INVALID_VALUE, "movements[0].imoNumber"),
        ({"movement": "ANCHORED"}, RejectionCode.UNKNOWN_QUALIFIER, "movements[0].movement"),
        ({"eventTime": "2026-01-15T06:30:00"}, RejectionCode.INVALID_VALUE, "movements[0].eventTime"),
        ({"portCode": "SHANGHAI"}, RejectionCode.INVALID_VALUE, "movements[0].portCode"),
        ({"eventId": "SHMSA-20260115-000102"}, RejectionCode.INVALID_VALUE, "movements[1].eventId"),
        ({"eventId": None}, RejectionCode.MISSING_ELEMENT, "movements[0].eventId"),
    ],
)
def test_msa_movement_with_a_bad_field_is_rejected_naming_it(
    changes: dict[str, Any], code: RejectionCode, field: str
) -> None:
    rejection = _rejection(MsaVesselFeedAdapter(), _msa(**changes))
    assert (rejection.code, rejection.segment) == (code, field)


def test_msa_document_of_another_feed_version_is_rejected() -> None:
    document = json.loads(MSA)
    document["version"] = 2
    rejection = _rejection(MsaVesselFeedAdapter(), json.dumps(document).encode())
    assert (rejection.code, rejection.segment) == (RejectionCode.ENVELOPE_ERROR, "version")


# -- credit levels -------------------------------------------------------------------------------


def test_credit_csv_gives_levels_with_aeo_from_the_table_and_a_revocation() -> None:
    facts = CreditLevelFeedAdapter().parse(CREDIT_CSV).facts
    aeo, regular, dishonest, revocation = facts
    assert isinstance(aeo, CreditLevelFact)
    assert (aeo.regime, aeo.level, aeo.is_aeo, aeo.aeo_code) == (
        CreditRegime.ORDER_282,
        CreditLevel.ADVANCED_CERTIFIED,
        True,
        "AEOCN3105960001",
    )
    assert aeo.organisation_id == "91310115MA1K4XY00X"
    assert (aeo.effective_from, aeo.expires_on) == (date(2026, 4, 1), date(2029, 3, 31))
    assert isinstance(regular, CreditLevelFact) and regular.level is CreditLevel.REGULAR  # given as 常规企业
    assert regular.is_aeo is False and regular.expires_on is None
    assert isinstance(dishonest, CreditLevelFact) and dishonest.level is CreditLevel.DISHONEST
    assert isinstance(revocation, CreditLevelRevocation)
    assert revocation.revokes_source_id == dishonest.source_id


def test_credit_json_order_282_certified_level_is_an_aeo() -> None:
    (fact,) = CreditLevelFeedAdapter().parse(CREDIT_JSON).facts
    assert isinstance(fact, CreditLevelFact)
    assert (fact.level, fact.is_aeo) == (CreditLevel.CERTIFIED, True)


def _credit(**changes: Any) -> bytes:
    document = json.loads(CREDIT_JSON)
    document["records"][0].update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"uscc": "91310115MA1K4XY00Y"}, RejectionCode.INVALID_VALUE, "records[0].uscc"),
        ({"level": "GOLD"}, RejectionCode.UNKNOWN_QUALIFIER, "records[0].level"),
        (
            {"regime": "GAC_ORDER_251"},
            RejectionCode.UNKNOWN_QUALIFIER,
            "records[0].level",
        ),  # no 认证企业 in 251
        ({"effectiveFrom": "2026-03-01"}, RejectionCode.INVALID_VALUE, "records[0].effectiveFrom"),
        ({"expiresOn": "2026-04-01"}, RejectionCode.INVALID_VALUE, "records[0].expiresOn"),
        ({"aeoCode": None}, RejectionCode.INVALID_VALUE, "records[0].aeoCode"),
        ({"aeoCode": "AEOCN9999999999"}, RejectionCode.INVALID_VALUE, "records[0].aeoCode"),
        ({"level": "REGULAR"}, RejectionCode.INVALID_VALUE, "records[0].aeoCode"),  # non-AEO with AEO code
        ({"action": "SUSPEND"}, RejectionCode.UNKNOWN_QUALIFIER, "records[0].action"),
        ({"effectiveFrom": "01/04/2026"}, RejectionCode.INVALID_VALUE, "records[0].effectiveFrom"),
    ],
)
def test_credit_record_with_a_bad_field_is_rejected_naming_it(
    changes: dict[str, Any], code: RejectionCode, field: str
) -> None:
    rejection = _rejection(CreditLevelFeedAdapter(), _credit(**changes))
    assert (rejection.code, rejection.segment) == (code, field)


def test_credit_csv_with_an_unexpected_header_is_rejected() -> None:
    raw = CREDIT_CSV.replace(b"recordId,action", b"id,action", 1)
    rejection = _rejection(CreditLevelFeedAdapter(), raw)
    assert (rejection.code, rejection.segment) == (RejectionCode.ENVELOPE_ERROR, "header")
