"""The adapter registry (names, selection, refusal) and the reference data the adapters use."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ledger.domain.reference import (
    CreditLevel,
    CreditRegime,
    SizeTypeSource,
    check_imo_number,
    check_size_type,
    check_uscc,
    credit_level_definition,
    decode_size_type,
    is_legacy_port_alias,
    resolve_port,
    size_type,
)
from oracles.adapters.codeco import CodecoAdapter
from oracles.base import Adapter, AdapterSettings, MessageRejected, RejectionCode, UnsupportedMessage
from oracles.facts import FactKind, GateEvent
from oracles.registry import AdapterRegistry, default_registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_default_registry_holds_every_adapter_by_name() -> None:
    registry = default_registry()
    assert registry.names() == [
        "codeco",
        "coarri",
        "cusres",
        "china-customs-xml",
        "msa-vessel-movements",
        "customs-credit-levels",
    ]
    assert all(isinstance(adapter, Adapter) for adapter in registry)
    assert registry.get("codeco").name == "codeco"


@pytest.mark.parametrize(
    ("path", "adapter"),
    [
        ("edifact/codeco_d95b_SYNTHETIC_shanghai_eir.edi", "codeco"),
        ("edifact/coarri_d95b_itg13_genoa_php-edifact.edi", "coarri"),
        ("edifact/cusres_d96b_SYNTHETIC_release.edi", "cusres"),
        ("customs/china_manifest_MT3101_SYNTHETIC.xml", "china-customs-xml"),
        ("customs/dec_result_release_SYNTHETIC.xml", "china-customs-xml"),
        ("customs/msa_vessel_movements_SYNTHETIC.json", "msa-vessel-movements"),
        ("customs/credit_levels_SYNTHETIC.csv", "customs-credit-levels"),
        ("customs/credit_levels_SYNTHETIC.json", "customs-credit-levels"),
    ],
)
def test_registry_selects_the_adapter_from_the_content(path: str, adapter: str) -> None:
    assert default_registry().select((FIXTURES / path).read_bytes(), None).name == adapter


def test_registry_refuses_content_no_adapter_recognises() -> None:
    with pytest.raises(UnsupportedMessage) as caught:
        default_registry().parse(b"hello", "note.txt")
    assert caught.value.code is RejectionCode.UNSUPPORTED_MESSAGE
    assert "note.txt" in caught.value.reason


def test_registry_refuses_a_second_adapter_with_the_same_name() -> None:
    registry = AdapterRegistry()
    registry.register(CodecoAdapter())
    with pytest.raises(ValueError, match="already registered"):
        registry.register(CodecoAdapter())


def test_registry_get_of_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(KeyError, match="codeco"):
        default_registry().get("baplie")


def test_registry_settings_reach_the_adapters() -> None:
    raw = (FIXTURES / "edifact/codeco_d95b_smdg16_huelva_smartdatamodels.edi").read_bytes()
    with pytest.raises(MessageRejected):
        default_registry().parse(raw)
    result = default_registry(AdapterSettings(strict_container_check=False)).parse(raw)
    assert [f.kind for f in result.facts] == [FactKind.GATE_EVENT]


def test_facts_are_frozen() -> None:
    raw = (FIXTURES / "edifact/codeco_d95b_SYNTHETIC_shanghai_eir.edi").read_bytes()
    event = CodecoAdapter().parse(raw).facts[0]
    assert isinstance(event, GateEvent)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.source_id = "other"  # type: ignore[misc]


def test_rejection_message_names_code_segment_and_position() -> None:
    rejection = MessageRejected("UNT", 16, "declared 16", RejectionCode.CONTROL_COUNT_MISMATCH)
    assert str(rejection) == "CONTROL_COUNT_MISMATCH at UNT (segment 16): declared 16"


# -- reference data -------------------------------------------------------------------------------


def test_size_type_from_the_table() -> None:
    found = size_type("45G1")
    assert (found.length, found.height, found.type_group, found.source) == (
        "40 ft",
        "9 ft 6 in",
        "GP",
        SizeTypeSource.TABLE,
    )


def test_size_type_missing_from_the_table_is_decoded_from_its_characters() -> None:
    found = size_type("4EG1")
    assert (found.length, found.height, found.pallet_wide, found.source) == (
        "40 ft",
        "9 ft 6 in",
        True,
        SizeTypeSource.DECODED,
    )
    assert decode_size_type("L5R1").length == "45 ft"


def test_legacy_numeric_size_codes_are_in_the_table() -> None:
    assert size_type("4500").source is SizeTypeSource.TABLE


@pytest.mark.parametrize("code", ["4XG1", "2QG1", "22Q1", "22G", "22G1X"])
def test_undecodable_size_type_code_says_which_character_is_wrong(code: str) -> None:
    assert check_size_type(code) is not None


@pytest.mark.parametrize(
    ("legacy", "port", "city"),
    [
        ("CNSHA", "CNSHG", "CNSGH"),
        ("CNNGB", "CNNBG", "CNNBO"),
        ("CNTAO", "CNQDG", "CNQIN"),
        ("CNXGG", "CNTXG", "CNTNJ"),
    ],
)
def test_legacy_chinese_port_codes_resolve_to_the_current_port_code(
    legacy: str, port: str, city: str
) -> None:
    location = resolve_port(legacy)
    assert (location.port_code, location.city_code, location.legacy_alias) == (port, city, True)
    assert is_legacy_port_alias(legacy)


def test_other_port_codes_are_kept_as_sent() -> None:
    location = resolve_port("NLRTM")
    assert (location.port_code, location.legacy_alias, location.name) == ("NLRTM", False, "Rotterdam")
    assert resolve_port("USLGB").port_code == "USLGB"  # not in the extract: kept, name unknown


def test_malformed_locode_is_refused() -> None:
    with pytest.raises(ValueError, match="UN/LOCODE"):
        resolve_port("CN-SH")


def test_credit_levels_know_which_are_aeo_per_regime() -> None:
    assert credit_level_definition(CreditRegime.ORDER_282, CreditLevel.CERTIFIED).is_aeo is True
    assert credit_level_definition(CreditRegime.ORDER_237, CreditLevel.GENERAL_CERTIFIED).is_aeo is True
    assert credit_level_definition(CreditRegime.ORDER_282, CreditLevel.SERIOUSLY_DISHONEST).is_aeo is False
    with pytest.raises(ValueError):
        credit_level_definition(CreditRegime.ORDER_251, CreditLevel.CERTIFIED)


def test_uscc_and_imo_check_characters() -> None:
    assert check_uscc("91310115MA1K4XY00X") is None
    assert check_uscc("91310115MA1K4XY00Y") is not None
    assert check_uscc("91310115MA1K4XYOOX") is not None  # O is not in the alphabet
    assert check_imo_number("9300001") is None
    assert check_imo_number("IMO9300001") is None
    assert check_imo_number("1111111") is not None
