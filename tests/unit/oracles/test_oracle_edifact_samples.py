"""Every EDIFACT sample in tests/fixtures/edifact, read through the registry, with its expected
outcome under the default (strict) and the lenient container check. The same table is in
tests/fixtures/edifact/README.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from oracles.base import AdapterSettings, MessageRejected, RejectionCode
from oracles.facts import FactKind
from oracles.registry import default_registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "edifact"


@dataclass(frozen=True)
class Expected:
    adapter: str | None  # None: refused before any adapter reads it
    kinds: dict[FactKind, int] | None = None  # fact counts when accepted
    rejected: RejectionCode | None = None
    segment: str | None = None
    warnings: frozenset[RejectionCode] = frozenset()


STRICT: dict[str, Expected] = {
    "codeco_d95b_smdg16_huelva_smartdatamodels.edi": Expected(
        "codeco", rejected=RejectionCode.CONTAINER_CHECK_DIGIT, segment="EQD"
    ),
    "codeco_d95b_SYNTHETIC_shanghai_eir.edi": Expected(
        "codeco", {FactKind.GATE_EVENT: 3}, warnings=frozenset({RejectionCode.NONSTANDARD_USAGE})
    ),
    "coarri_d95b_itg13_genoa_php-edifact.edi": Expected(
        "coarri", {FactKind.VESSEL_OPERATIONS: 2, FactKind.CONTAINER_HANDLING: 21}
    ),
    "cusres_d96b_SYNTHETIC_release.edi": Expected(
        "cusres", {FactKind.CUSTOMS_DECISION: 1}, warnings=frozenset({RejectionCode.INVALID_VALUE})
    ),
    "baplie_d95b_smdg20_longbeach_php-edifact.edi": Expected(
        None, rejected=RejectionCode.UNSUPPORTED_MESSAGE, segment="UNH"
    ),
    "iftsai_d99b_rotterdam_portxchange.edi": Expected(
        None, rejected=RejectionCode.UNSUPPORTED_MESSAGE, segment="UNH"
    ),
}

LENIENT: dict[str, Expected] = {
    **STRICT,
    "codeco_d95b_smdg16_huelva_smartdatamodels.edi": Expected(
        "codeco",
        {FactKind.GATE_EVENT: 1},
        warnings=frozenset(
            {
                RejectionCode.CONTAINER_CHECK_DIGIT,
                RejectionCode.NONSTANDARD_USAGE,
                RejectionCode.INVALID_VALUE,
            }
        ),
    ),
}


def test_every_sample_in_the_fixture_folder_has_an_expected_outcome() -> None:
    assert {p.name for p in FIXTURES.glob("*.edi")} == set(STRICT)


def _check(name: str, expected: Expected, settings: AdapterSettings) -> None:
    registry = default_registry(settings)
    raw = (FIXTURES / name).read_bytes()
    if expected.adapter is not None:
        assert registry.select(raw, name).name == expected.adapter
    if expected.rejected is not None:
        with pytest.raises(MessageRejected) as caught:
            registry.parse(raw, name)
        assert caught.value.code is expected.rejected
        assert caught.value.segment == expected.segment
        return
    result = registry.parse(raw, name)
    counts: dict[FactKind, int] = {}
    for fact in result.facts:
        counts[fact.kind] = counts.get(fact.kind, 0) + 1
    assert counts == expected.kinds
    assert {w.code for w in result.warnings} == expected.warnings
    assert len({f.source_id for f in result.facts}) == len(result.facts)


@pytest.mark.parametrize("name", sorted(STRICT))
def test_sample_under_strict_container_check_has_expected_outcome(name: str) -> None:
    _check(name, STRICT[name], AdapterSettings())


@pytest.mark.parametrize("name", sorted(LENIENT))
def test_sample_under_lenient_container_check_has_expected_outcome(name: str) -> None:
    _check(name, LENIENT[name], AdapterSettings(strict_container_check=False))


def test_huelva_rejection_names_the_container_and_the_check_digit() -> None:
    raw = (FIXTURES / "codeco_d95b_smdg16_huelva_smartdatamodels.edi").read_bytes()
    with pytest.raises(MessageRejected) as caught:
        default_registry().parse(raw)
    assert caught.value.position == 8
    assert "TESI1120274" in caught.value.reason
    assert "ISO 6346 gives 7" in caught.value.reason


def test_iftsai_without_unz_is_refused_as_unsupported_before_its_envelope_is_read() -> None:
    raw = (FIXTURES / "iftsai_d99b_rotterdam_portxchange.edi").read_bytes()
    with pytest.raises(MessageRejected) as caught:
        default_registry().parse(raw)
    assert "IFTSAI" in caught.value.reason


def test_baplie_is_refused_as_unsupported_naming_the_message_type() -> None:
    raw = (FIXTURES / "baplie_d95b_smdg20_longbeach_php-edifact.edi").read_bytes()
    with pytest.raises(MessageRejected) as caught:
        default_registry().parse(raw)
    assert "BAPLIE" in caught.value.reason
