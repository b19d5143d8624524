"""DCSA eBL 3.0.3 Transport Document validation: schema, prose rules, unknown properties, facts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.documents import (
    BillKind,
    DocumentInvalid,
    IdentifyingCode,
    Rule,
    Severity,
    UnknownProperties,
    ValidationSettings,
    require_valid_transport_document,
    validate_transport_document,
)

DCSA = Path(__file__).resolve().parents[2] / "fixtures" / "dcsa"
MANIFEST = json.loads((DCSA / "variants.json").read_text("utf-8"))
DRAFT = "EBL_v3.0.3__get-transport-document__regularSTDExample__draft-dry-cargo_BOL-to-order-blank.json"
REEFER = "EBL_v3.0.3__get-transport-document__reeferExample__approved-reefer_BOL-to-order-blank.json"
DG = "EBL_v3.0.3__get-transport-document__dgExample__issued-dangerous-goods_BOL-to-order-blank.json"
CG_STRAIGHT = "conformance__pint-3.0.0-transport-document__BOL-straight-issued.json"


def load(relative: str) -> Any:
    return json.loads((DCSA / relative).read_text("utf-8"))


def errors_of(document: Any, settings: ValidationSettings | None = None) -> list[list[str]]:
    return sorted([p.path, p.rule] for p in validate_transport_document(document, settings).errors)


@pytest.mark.parametrize("name", sorted(MANIFEST["valid"]))
def test_validate_when_derived_document_is_valid_reports_no_problem(name: str) -> None:
    report = validate_transport_document(load(f"valid/{name}"))

    assert report.errors == ()
    assert report.warnings == ()
    assert report.valid
    assert report.facts is not None


@pytest.mark.parametrize("name", [DRAFT, REEFER])
def test_validate_when_dcsa_draft_or_approved_example_reports_no_problem(name: str) -> None:
    assert errors_of(load(name)) == []


def test_validate_dcsa_issued_dg_example_finds_missing_issue_date_and_wrong_check_digit() -> None:
    report = validate_transport_document(load(DG))

    assert sorted([p.path, p.rule] for p in report.errors) == [
        ["$.issueDate", "issued-dates"],
        ["$.utilizedTransportEquipments[0].equipment.equipmentReference", "iso6346-container-number"],
    ]
    assert "ISO 6346 gives 1" in report.errors[1].message


def test_validate_conformance_template_reports_placeholder_date_and_300_era_properties() -> None:
    assert errors_of(load(CG_STRAIGHT)) == [
        ["$.issueDate", "issued-dates"],
        ["$.transportDocumentReference", "schema.maxLength"],
        ["$.utilizedTransportEquipments[0].cargoGrossWeight", "unknown-property"],
        ["$.utilizedTransportEquipments[0].cargoGrossWeightUnit", "unknown-property"],
    ]


@pytest.mark.parametrize("name", sorted(MANIFEST["variants"]))
def test_validate_variant_reports_exactly_the_expected_errors(name: str) -> None:
    expected = MANIFEST["variants"][name]["expectedErrors"]

    assert errors_of(load(f"variants/{name}")) == expected


def test_validate_every_prose_rule_has_a_variant_that_breaks_it() -> None:
    broken = {rule for v in MANIFEST["variants"].values() for _, rule in v["expectedErrors"]}

    assert {r.value for r in Rule} <= broken


def test_validate_with_several_errors_reports_all_of_them_at_once() -> None:
    report = validate_transport_document(load("variants/several-errors.json"))

    assert len(report.errors) == 7
    assert {p.rule for p in report.errors} >= {"schema.required", "schema.maxLength", "swb-not-to-order"}
    assert report.facts is None


def test_validate_when_unknown_properties_are_ignored_warns_with_their_paths() -> None:
    settings = ValidationSettings(unknown_properties=UnknownProperties.IGNORE)

    report = validate_transport_document(load("variants/unknown-properties.json"), settings)

    assert report.errors == ()
    assert [p.path for p in report.warnings] == [
        "$.consignmentItems[0].cargoItems[0].cargoGrossWeight.precision",
        "$.documentParties.shipper.nickname",
        "$.shipmentColour",
    ]
    assert all(p.rule == "unknown-property" and "ignored" in p.message for p in report.warnings)
    assert report.facts is not None


def test_validate_when_check_digit_is_a_warning_accepts_the_document_and_warns() -> None:
    settings = ValidationSettings(container_check_digit=Severity.WARNING)

    report = validate_transport_document(load("variants/container-wrong-check-digit.json"), settings)

    assert report.errors == ()
    assert [(p.path, p.rule) for p in report.warnings] == [
        ("$.utilizedTransportEquipments[0].equipment.equipmentReference", "iso6346-container-number")
    ]
    assert "ISO 6346 gives 4" in report.warnings[0].message


def test_validate_container_whose_check_remainder_is_ten_is_valid() -> None:
    report = validate_transport_document(load("valid/issued-straight-remainder-ten-container.json"))

    assert report.valid
    assert report.facts is not None
    assert report.facts.container_numbers == ("NARU3472490",)


def test_validate_unlocode_error_is_not_repeated_as_a_schema_pattern_error() -> None:
    report = validate_transport_document(load("variants/unlocode-bad-format.json"))

    assert [(p.path, p.rule) for p in report.errors] == [
        ("$.transports.portOfLoading.UNLocationCode", "unlocode")
    ]


def test_validate_checks_dates_as_strings_with_their_format() -> None:
    document = load("valid/issued-straight.json")
    document["issueDate"] = "2023-02-30"

    assert errors_of(document) == [["$.issueDate", "schema.format"]]


def test_validate_missing_required_property_names_the_property_in_the_path() -> None:
    document = load("valid/issued-straight.json")
    del document["documentParties"]["shipper"]["partyName"]
    del document["termsAndConditions"]

    assert errors_of(document) == [
        ["$.documentParties.shipper.partyName", "schema.required"],
        ["$.termsAndConditions", "schema.required"],
    ]


def test_validate_when_document_is_not_an_object_reports_the_root() -> None:
    assert errors_of(["not", "a", "document"]) == [["$", "schema.type"]]


def test_validate_does_not_modify_the_document() -> None:
    document = load("variants/several-errors.json")
    before = copy.deepcopy(document)

    validate_transport_document(document)

    assert document == before


def test_require_valid_raises_document_invalid_listing_every_path() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        require_valid_transport_document(load("variants/several-errors.json"))

    error = caught.value
    assert error.code == "VALIDATION_FAILED"
    assert len(error.report.errors) == 7
    assert {"path", "rule", "message"} == set(error.report.errors[0].to_json())
    assert [e["path"] for e in error.report.to_json()["errors"]] == [p.path for p in error.report.errors]
    assert "$.carrierCode (schema.required)" in str(error)


def test_facts_of_negotiable_blank_bill() -> None:
    facts = require_valid_transport_document(load("valid/issued-negotiable-blank.json"))

    assert facts.kind is BillKind.NEGOTIABLE
    assert facts.transport_document_reference == "4AD3FA470BB541B980CE"
    assert (facts.carrier_code, facts.carrier_code_list_provider) == ("HLC", "SMDG")
    assert facts.status == "ISSUED"
    assert facts.is_electronic
    assert facts.consignee_codes == ()
    assert facts.endorsee_codes == ()
    assert facts.container_numbers == ("HLXU1234561",)


def test_facts_of_straight_bill_carry_the_consignee_codes() -> None:
    facts = require_valid_transport_document(load("valid/issued-straight.json"))

    assert facts.kind is BillKind.STRAIGHT
    assert facts.transport_document_reference == "HMM2023121900001"
    assert (facts.carrier_code, facts.carrier_code_list_provider) == ("HMM", "SMDG")
    assert facts.consignee_codes == (IdentifyingCode("ZZZ", "CONSIGNEE"),)
    assert facts.container_numbers == ("NARU3472484",)


def test_facts_of_endorsed_bill_carry_the_endorsee_codes() -> None:
    facts = require_valid_transport_document(load("valid/issued-negotiable-endorsee.json"))

    assert facts.kind is BillKind.NEGOTIABLE
    assert facts.endorsee_codes == (IdentifyingCode("ZZZ", "BANK"),)
    assert facts.consignee_codes == ()


def test_facts_of_sea_waybill() -> None:
    facts = require_valid_transport_document(load("valid/issued-swb.json"))

    assert facts.kind is BillKind.SWB


def test_bill_kind_mirrors_the_solidity_enum_names_and_order() -> None:
    source = (Path(__file__).resolve().parents[3] / "contracts" / "types" / "BillTypes.sol").read_text()
    body = source.split("enum BillKind {", 1)[1].split("}", 1)[0]
    solidity = [name.strip() for name in body.split(",") if name.strip()]

    assert [kind.value for kind in BillKind] == solidity
    assert [kind.ordinal for kind in BillKind] == list(range(len(solidity)))
