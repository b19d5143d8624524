"""Digits that are not ASCII digits, and XML bombs in other encodings, are typed rejections.

``str.isdigit`` is true for ``"²"`` (byte 0xB2 in UNOC, Latin-1) and for other scripts' digits; a parser
that trusted it handed ``int`` a string it cannot read (an uncaught ``ValueError`` that stopped the runner
on every restart) or silently read Arabic-Indic digits as a count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.domain.values import ascii_digits
from oracles.base import AdapterSettings, MessageRejected, RejectionCode
from oracles.registry import default_registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CUSRES = (FIXTURES / "edifact" / "cusres_d96b_SYNTHETIC_release.edi").read_bytes()
DEC_RESULT = (FIXTURES / "customs" / "dec_result_release_SYNTHETIC.xml").read_bytes()
REGISTRY = default_registry(AdapterSettings(strict_container_check=False))

# "²" in UNOC (Latin-1), "²" in UTF-8, ARABIC-INDIC DIGIT FOUR in UTF-8, FULLWIDTH DIGIT ONE in UTF-8.
NOT_ASCII_DIGITS = [b"\xb2", "²".encode(), "٤".encode(), "１".encode()]


def test_ascii_digits_accepts_only_0_to_9() -> None:
    assert ascii_digits("0123456789")
    for text in ("", "²", "1²", "٤", "１", " 1", "1.0", "-1", "1e3"):
        assert not ascii_digits(text), text


@pytest.mark.parametrize("digit", NOT_ASCII_DIGITS)
@pytest.mark.parametrize(
    ("old", "segment"),
    [(b"UNT+14+1'", "UNT"), (b"DTM+9:202601150930:203'", "DTM"), (b"UNZ+1+CR000001'", "UNZ")],
)
def test_a_non_ascii_digit_in_a_cusres_number_is_a_typed_rejection(
    digit: bytes, old: bytes, segment: str
) -> None:
    assert old in CUSRES
    # The Latin-1 byte under UNOC as sent; the UTF-8 digits under UNOW, so that they reach the parsers.
    sample = CUSRES if digit == b"\xb2" else CUSRES.replace(b"UNB+UNOC:3", b"UNB+UNOW:4")
    poisoned = sample.replace(old, old[:5] + digit + old[6:])
    with pytest.raises(MessageRejected) as caught:
        REGISTRY.parse(poisoned)
    assert (caught.value.code, caught.value.segment) == (RejectionCode.INVALID_VALUE, segment), caught.value


@pytest.mark.parametrize("digit", NOT_ASCII_DIGITS[1:])
def test_a_non_ascii_digit_in_a_customs_xml_time_is_a_typed_rejection(digit: bytes) -> None:
    start = DEC_RESULT.index(b"<NOTICE_DATE>") + len(b"<NOTICE_DATE>")
    poisoned = DEC_RESULT[:start] + digit + DEC_RESULT[start + 1 :]
    with pytest.raises(MessageRejected) as caught:
        REGISTRY.parse(poisoned)
    assert caught.value.code is RejectionCode.INVALID_VALUE


def _bomb(encoding: str) -> str:
    """A billion laughs: nine levels of ten references each (10**9 copies of "boom" if expanded)."""
    lines = [f'<?xml version="1.0" encoding="{encoding}"?>', "<!DOCTYPE DEC_RESULT [", '<!ENTITY a0 "boom">']
    lines += [f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    lines.append("]>")
    return "\n".join(lines) + "<DEC_RESULT><ENTRY_ID>&a9;</ENTRY_ID></DEC_RESULT>"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be", "utf-16"])
def test_an_entity_bomb_in_any_encoding_is_refused_before_it_expands(encoding: str) -> None:
    """A BOM-less UTF-16 document hides ``<!ENTITY`` from a byte filter; the XML parser must refuse it."""
    raw = _bomb(encoding.upper()).encode(encoding)
    assert b"<!ENTITY" not in raw or encoding == "utf-8"
    with pytest.raises(MessageRejected) as caught:
        REGISTRY.get("china-customs-xml").parse(raw)
    assert caught.value.code is RejectionCode.SYNTAX_ERROR
