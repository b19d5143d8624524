"""Whatever bytes arrive, an adapter answers with facts or a typed rejection, never another error:
mutated samples (bytes deleted, replaced or inserted) and arbitrary input."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracles.base import AdapterSettings, MessageRejected, RejectionCode
from oracles.registry import default_registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLES = sorted(p for p in FIXTURES.glob("edifact/*.edi")) + sorted(
    p for p in FIXTURES.glob("customs/*") if p.suffix in {".xml", ".json", ".csv"}
)
RAW = [p.read_bytes() for p in SAMPLES]
REGISTRY = default_registry(AdapterSettings(strict_container_check=False))


def _read_every_way(raw: bytes) -> None:
    for adapter in REGISTRY:
        with contextlib.suppress(MessageRejected):
            adapter.parse(raw)
    with contextlib.suppress(MessageRejected):
        REGISTRY.parse(raw)


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(RAW)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["delete", "replace", "insert"]))
        # Any of the 256 byte values, the EDIFACT service characters and XML/JSON/CSV syntax more often, and
        # whole non-ASCII digits (superscript two in Latin-1 and UTF-8, Arabic-Indic, fullwidth).
        piece = draw(
            st.one_of(
                st.integers(0, 255).map(lambda b: bytes([b])),
                st.sampled_from([bytes([c]) for c in b"+:'?*\n<>\"{},;&"]),
                st.sampled_from([b"\xb2", "²".encode(), "٣".encode(), "９".encode(), b"\xc3\xa9"]),
            )
        )
        if action == "delete":
            del raw[at]
        elif action == "replace":
            raw[at : at + 1] = piece
        else:
            raw[at:at] = piece
    return bytes(raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_samples_give_facts_or_a_typed_rejection(raw: bytes) -> None:
    _read_every_way(raw)


@pytest.mark.parametrize("name", REGISTRY.names())
def test_each_adapter_parse_gives_facts_or_a_typed_rejection_on_its_own_samples(name: str) -> None:
    """One target per adapter: its parse alone on mutations of every sample (not only those it accepts)."""
    adapter = REGISTRY.get(name)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(_mutated())
    def target(raw: bytes) -> None:
        with contextlib.suppress(MessageRejected):
            adapter.parse(raw)

    target()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_typed_rejection(raw: bytes) -> None:
    _read_every_way(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_behind_an_edifact_header_give_a_typed_rejection(tail: bytes) -> None:
    _read_every_way(b"UNB+UNOC:3+A+B+260115:1410+1'UNH+1+CODECO:D:95B:UN'" + tail)


def test_xml_declaring_an_unknown_encoding_is_a_syntax_error() -> None:
    with pytest.raises(MessageRejected) as caught:
        REGISTRY.parse(b'<?xml version="1.0" encoding="no-such-codec"?><DEC_RESULT/>')
    assert caught.value.code is RejectionCode.SYNTAX_ERROR


def test_deeply_nested_json_is_refused_before_decoding() -> None:
    raw = b'{"feed": "portledger.msa-vessel-movements", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(MessageRejected) as caught:
        REGISTRY.parse(raw)
    assert caught.value.code is RejectionCode.SYNTAX_ERROR
    assert "nested deeper" in caught.value.reason


@pytest.mark.parametrize(
    ("raw", "code", "segment"),
    [
        (
            b"UNB+UNOC:3+A+B+260115:1410+1'UNH+1+CODECO:D:95B:UN'BGM+34'CNT+16:0'UNT+4+1'UNZ+1+1'",
            RejectionCode.MISSING_ELEMENT,
            "BGM",
        ),
        (
            b"UNB+UNOC:3+A+B+2601:1410+1'UNH+1+CODECO:D:95B:UN'BGM+34'CNT+16:0'UNT+4+1'UNZ+1+1'",
            RejectionCode.INVALID_VALUE,
            "UNB",
        ),
        (
            b"UNB+UNOC:3++B+260115:1410+1'UNH+1+CODECO:D:95B:UN'UNT+2+1'UNZ+1+1'",
            RejectionCode.MISSING_ELEMENT,
            "UNB",
        ),
    ],
)
def test_codeco_without_equipment_or_with_a_malformed_unb_is_rejected(
    raw: bytes, code: RejectionCode, segment: str
) -> None:
    with pytest.raises(MessageRejected) as caught:
        REGISTRY.parse(raw)
    assert (caught.value.code, caught.value.segment) == (code, segment)
