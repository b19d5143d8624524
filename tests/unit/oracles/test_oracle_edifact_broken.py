"""Broken variants of the EDIFACT samples: each is refused with a typed rejection naming the segment,
its position and the reason. Variants are made from the fixtures byte by byte, so each test shows
exactly what was broken."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from oracles.adapters.codeco import CodecoAdapter
from oracles.adapters.cusres import CusresAdapter
from oracles.base import AdapterSettings, MessageRejected, RejectionCode
from oracles.facts import CustomsDecision, GateEvent
from oracles.registry import default_registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "edifact"
SHANGHAI = (FIXTURES / "codeco_d95b_SYNTHETIC_shanghai_eir.edi").read_bytes()
HUELVA = (FIXTURES / "codeco_d95b_smdg16_huelva_smartdatamodels.edi").read_bytes()
GENOA = (FIXTURES / "coarri_d95b_itg13_genoa_php-edifact.edi").read_bytes()
CUSRES = (FIXTURES / "cusres_d96b_SYNTHETIC_release.edi").read_bytes()
LENIENT = AdapterSettings(strict_container_check=False)


def _replace(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert raw.count(old) == 1, old
    return raw.replace(old, new)


def _in_functional_group(une: bytes) -> bytes:
    """The CUSRES sample with its message inside functional group G1 (UNG), closed by the ``une`` given."""
    opened = _replace(
        CUSRES, b"UNH+1+CUSRES", b"UNG+CUSRES+CUSTOMSGW+BROKER01+260115:0930+G1+UN+D:96B'\nUNH+1+CUSRES"
    )
    return opened.replace(b"UNZ+1+CR000001", une + b"'\nUNZ+1+CR000001")


@dataclass(frozen=True)
class Broken:
    raw: bytes
    code: RejectionCode
    segment: str | None
    position: int | None
    reason_contains: str
    lenient: bool = False
    adapter: str | None = None  # read by this adapter directly instead of through registry selection


# fmt: off
BROKEN: dict[str, Broken] = {
    "unt_segment_count_too_high": Broken(
        _replace(SHANGHAI, b"UNT+15+EIR0001", b"UNT+16+EIR0001"),
        RejectionCode.CONTROL_COUNT_MISMATCH, "UNT", 16, "declares 16 segments",
    ),
    "unt_segment_count_of_genuine_huelva_off_by_one": Broken(
        _replace(HUELVA, b"UNT+000022+", b"UNT+000021+"),
        RejectionCode.CONTROL_COUNT_MISMATCH, "UNT", 23, "has 22", lenient=True,
    ),
    "unt_count_not_a_number": Broken(
        _replace(SHANGHAI, b"UNT+15+EIR0001", b"UNT+X5+EIR0001"),
        RejectionCode.INVALID_VALUE, "UNT", 16, "not a number",
    ),
    "unt_reference_differs_from_unh": Broken(
        _replace(SHANGHAI, b"UNT+17+EIR0002", b"UNT+17+EIR0009"),
        RejectionCode.CONTROL_REFERENCE_MISMATCH, "UNT", 33, "'EIR0009' does not match UNH reference",
    ),
    "unz_message_count_mismatch": Broken(
        _replace(SHANGHAI, b"UNZ+3+EIRX0001", b"UNZ+2+EIRX0001"),
        RejectionCode.CONTROL_COUNT_MISMATCH, "UNZ", 51, "declares 2 messages but the interchange holds 3",
    ),
    "unz_reference_differs_from_unb": Broken(
        _replace(SHANGHAI, b"UNZ+3+EIRX0001", b"UNZ+3+EIRX0002"),
        RejectionCode.CONTROL_REFERENCE_MISMATCH, "UNZ", 51, "does not match UNB control reference",
    ),
    "interchange_cut_mid_segment": Broken(
        SHANGHAI[: SHANGHAI.index(b"DAM+1") + 12],
        RejectionCode.TRUNCATED, "DAM", 12, "no segment terminator",
    ),
    "interchange_cut_before_unz": Broken(
        SHANGHAI[: SHANGHAI.index(b"UNZ+")],
        RejectionCode.TRUNCATED, "UNZ", 51, "not UNZ",
    ),
    "interchange_cut_after_a_message": Broken(
        SHANGHAI[: SHANGHAI.index(b"UNH+EIR0002")],
        RejectionCode.TRUNCATED, "UNZ", 17, "ends with UNT",
    ),
    "unoa_declared_with_latin1_byte": Broken(
        _replace(HUELVA, b"CHRISTIAN", "CHRISTIÁN".encode("latin-1")),
        RejectionCode.CHARSET_MISMATCH, "TDT", 4, "byte 0xC1 is not allowed under UNOA",
    ),
    "unoc_declared_with_utf8_bytes": Broken(
        _replace(SHANGHAI, b"DEMOHAUL:172:ZZZ'\nCNT+16:1'\nUNT+15", "上海集卡:172:ZZZ'\nCNT+16:1'\nUNT+15".encode()),  # noqa: E501
        RejectionCode.CHARSET_MISMATCH, "NAD", 14, "UTF-8 encoded but UNB declares UNOC",
    ),
    "unoc_declared_with_c1_control_byte": Broken(
        _replace(SHANGHAI, b"HUB67890", b"HUB6\x857890"),
        RejectionCode.CHARSET_MISMATCH, "TDT", 30, "C1 control code",
    ),
    "unow_declared_with_invalid_utf8": Broken(
        _replace(SHANGHAI, b"UNOC:3", b"UNOW:3").replace(b"DEMOTERM:TER", b"DEMOT\xc9RM:TER"),
        RejectionCode.CHARSET_MISMATCH, "LOC", 10, "invalid UTF-8",
    ),
    "unsupported_syntax_identifier": Broken(
        _replace(SHANGHAI, b"UNOC:3", b"UNOZ:3"),
        RejectionCode.UNSUPPORTED_CHARSET, "UNB", 1, "'UNOZ' is not supported",
    ),
    "codeco_unknown_document_name_code": Broken(
        _replace(SHANGHAI, b"BGM+34+", b"BGM+35+"),
        RejectionCode.UNKNOWN_QUALIFIER, "BGM", 35, "'35' is not a gate report",
    ),
    "codeco_unknown_full_empty_indicator": Broken(
        _replace(SHANGHAI, b"22G1:102:5+2+2+4'", b"22G1:102:5+2+2+7'"),
        RejectionCode.UNKNOWN_QUALIFIER, "EQD", 6, "full/empty indicator (8169) '7'",
    ),
    "codeco_unknown_message_function": Broken(
        _replace(SHANGHAI, b"EIRSH2026011500001+9'", b"EIRSH2026011500001+77'"),
        RejectionCode.UNKNOWN_QUALIFIER, "BGM", 3, "message function code (1225) '77'",
    ),
    "codeco_chassis_instead_of_container": Broken(
        _replace(SHANGHAI, b"EQD+CN+CSQU3054383", b"EQD+CH+CSQU3054383"),
        RejectionCode.UNKNOWN_QUALIFIER, "EQD", 6, "'CH' is not CN",
    ),
    "coarri_unknown_document_name_code": Broken(
        _replace(GENOA, b"BGM+44+", b"BGM+270+"),
        RejectionCode.UNKNOWN_QUALIFIER, "BGM", 3, "'270' is not a vessel report",
    ),
    "cusres_unknown_processing_indicator": Broken(
        _replace(CUSRES, b"GIS+1:120:ZZZ", b"GIS+9:120:ZZZ"),
        RejectionCode.UNKNOWN_QUALIFIER, "GIS", 7, "processing indicator '9'",
    ),
    "codeco_bad_check_digit": Broken(
        _replace(SHANGHAI, b"CSQU3054383", b"CSQU3054384"),
        RejectionCode.CONTAINER_CHECK_DIGIT, "EQD", 6, "check digit 4 is wrong; ISO 6346 gives 3",
    ),
    "cusres_bad_check_digit": Broken(
        _replace(CUSRES, b"EQD+CN+MSKU1234565", b"EQD+CN+MSKU1234566"),
        RejectionCode.CONTAINER_CHECK_DIGIT, "EQD", 9, "MSKU1234566",
    ),
    "container_number_of_the_wrong_shape_even_when_lenient": Broken(
        _replace(SHANGHAI, b"CSQU3054383", b"CSQ3054383"),
        RejectionCode.INVALID_VALUE, "EQD", 6, "not 4 letters and 7 digits", lenient=True,
    ),
    "coarri_cnt_container_total_mismatch": Broken(
        _replace(GENOA, b"CNT+16:19'", b"CNT+16:18'"),
        RejectionCode.CONTROL_COUNT_MISMATCH, "CNT", 270, "declares 18 containers but the message has 19",
    ),
    "codeco_segment_out_of_place": Broken(
        _replace(SHANGHAI, b"RFF+BN:SHA2026BK0001'\nTMD+3'", b"TMD+3'\nRFF+BN:SHA2026BK0001'"),
        RejectionCode.STRUCTURE_ERROR, "RFF", 8, "out of place",
    ),
    "codeco_without_cnt": Broken(
        _replace(SHANGHAI, b"CNT+16:1'\nUNT+15+EIR0001", b"UNT+14+EIR0001"),
        RejectionCode.STRUCTURE_ERROR, "CNT", None, "mandatory segment CNT missing",
    ),
    "codeco_without_gate_time": Broken(
        _replace(SHANGHAI, b"DTM+7:202601150912:203'\n", b"").replace(b"UNT+15+EIR0001", b"UNT+14+EIR0001"),
        RejectionCode.MISSING_ELEMENT, "EQD", 6, "no gate time (DTM+7)",
    ),
    "codeco_gate_time_not_a_date": Broken(
        _replace(SHANGHAI, b"DTM+7:202601150912:203", b"DTM+7:202613150912:203"),
        RejectionCode.INVALID_VALUE, "DTM", 9, "does not fit format 203",
    ),
    "segment_between_messages": Broken(
        _replace(SHANGHAI, b"UNT+15+EIR0001'\n", b"UNT+15+EIR0001'\nFTX+AAA'\n"),
        RejectionCode.ENVELOPE_ERROR, "FTX", 17, "outside a message",
    ),
    "message_without_unt": Broken(
        _replace(SHANGHAI, b"UNT+15+EIR0001'\n", b""),
        RejectionCode.ENVELOPE_ERROR, "UNH", 16, "before the previous message's UNT",
    ),
    "no_unb": Broken(
        SHANGHAI[SHANGHAI.index(b"UNH+EIR0001") :],
        RejectionCode.ENVELOPE_ERROR, "UNH", 1, "must start with UNB", adapter="codeco",
    ),
    "lower_case_segment_tag": Broken(
        _replace(SHANGHAI, b"TMD+3'", b"tmd+3'"),
        RejectionCode.SYNTAX_ERROR, None, 8, "uppercase 3-letter",
    ),
    "codeco_from_another_directory": Broken(
        _replace(SHANGHAI, b"UNH+EIR0002+CODECO:D:95B", b"UNH+EIR0002+CODECO:D:00B"),
        RejectionCode.UNSUPPORTED_MESSAGE, "UNH", 17, "D.00B is not supported",
    ),
    "una_declares_one_character_for_two_separators": Broken(
        _replace(CUSRES, b"UNA:+.? '", b"UNA++.? '"),
        RejectionCode.ENVELOPE_ERROR, "UNA", None, "same character for two separators", adapter="cusres",
    ),
    "functional_group_count_mismatch": Broken(
        _in_functional_group(b"UNE+2+G1"),
        RejectionCode.CONTROL_COUNT_MISMATCH, "UNE", 17, "UNE declares 2 messages but the group holds 1",
    ),
    "functional_group_reference_mismatch": Broken(
        _in_functional_group(b"UNE+1+G2"),
        RejectionCode.CONTROL_REFERENCE_MISMATCH, "UNE", 17, "does not match UNG reference",
    ),
}
# fmt: on


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_is_rejected_naming_segment_position_and_reason(name: str) -> None:
    broken = BROKEN[name]
    registry = default_registry(LENIENT if broken.lenient else AdapterSettings())
    with pytest.raises(MessageRejected) as caught:
        if broken.adapter is None:
            registry.parse(broken.raw)
        else:
            registry.get(broken.adapter).parse(broken.raw)
    rejection = caught.value
    assert rejection.code is broken.code, rejection
    assert rejection.segment == broken.segment, rejection
    assert rejection.position == broken.position, rejection
    assert broken.reason_contains in rejection.reason, rejection


def test_message_with_no_unb_is_not_recognised_by_the_registry() -> None:
    with pytest.raises(MessageRejected) as caught:
        default_registry().parse(BROKEN["no_unb"].raw)
    assert caught.value.code is RejectionCode.UNSUPPORTED_MESSAGE


def test_unow_interchange_with_chinese_haulier_name_is_decoded_as_utf8() -> None:
    raw = _replace(SHANGHAI, b"UNOC:3", b"UNOW:3").replace(b"NAD+CA+DEMOHAUL", "NAD+CA+上海集卡".encode())
    facts = CodecoAdapter().parse(raw).facts
    assert isinstance(facts[0], GateEvent)
    assert [f.haulier for f in facts if isinstance(f, GateEvent)] == ["上海集卡"] * 3


def test_unoc_interchange_with_latin1_text_is_decoded_as_iso_8859_1() -> None:
    raw = _replace(
        SHANGHAI,
        b"NAD+CA+DEMOHAUL:172:ZZZ'\nCNT+16:1'\nUNT+15",
        "NAD+CA+TRANSPORTES PEÑA:172:ZZZ'\nCNT+16:1'\nUNT+15".encode("latin-1"),
    )
    facts = CodecoAdapter().parse(raw).facts
    assert isinstance(facts[0], GateEvent)
    assert facts[0].haulier == "TRANSPORTES PEÑA"


def test_bad_check_digit_under_lenient_setting_is_accepted_with_a_warning() -> None:
    raw = _replace(SHANGHAI, b"CSQU3054383", b"CSQU3054384")
    result = CodecoAdapter(LENIENT).parse(raw)
    first = result.facts[0]
    assert isinstance(first, GateEvent)
    assert first.container.container_number == "CSQU3054384"
    assert first.container.check_digit_valid is False
    assert [w.code for w in result.warnings if w.segment == "EQD"] == [RejectionCode.CONTAINER_CHECK_DIGIT]


def test_functional_groups_are_checked_and_then_read_like_plain_messages() -> None:
    grouped = _in_functional_group(b"UNE+1+G1")
    plain = CusresAdapter().parse(CUSRES).facts
    assert CusresAdapter().parse(grouped).facts == plain


def test_custom_una_separators_give_the_same_facts() -> None:
    translated = HUELVA.translate(bytes.maketrans(b":+'", b"^|~"))
    raw = b"UNA^|.? ~" + translated
    assert CodecoAdapter(LENIENT).parse(raw).facts == CodecoAdapter(LENIENT).parse(HUELVA).facts


def test_release_character_in_cusres_free_text_is_unescaped() -> None:
    decision = CusresAdapter().parse(CUSRES).facts[0]
    assert isinstance(decision, CustomsDecision)
    assert decision.remarks == "GOODS RELEASED: FIXTURE ONLY"


def test_codeco_adapter_refuses_an_interchange_holding_another_message_type() -> None:
    mixed = _replace(SHANGHAI, b"UNH+EIR0003+CODECO", b"UNH+EIR0003+COARRI")
    with pytest.raises(MessageRejected) as caught:
        CodecoAdapter().parse(mixed)
    assert caught.value.code is RejectionCode.UNSUPPORTED_MESSAGE
    assert caught.value.segment == "UNH"
    assert "COARRI" in caught.value.reason
