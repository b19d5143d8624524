"""Value objects shared by documents, oracles, services and the API.

Each value validates itself on construction and raises ``ValueError`` with a message that says
what is wrong; callers that report several problems at once use the ``check_*`` functions, which
return the problem instead of raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ISO 6346: letters map to 10..38 skipping multiples of 11 (11, 22, 33).
_LETTER_VALUES: dict[str, int] = {}
_value = 10
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _value % 11 == 0:
        _value += 1
    _LETTER_VALUES[_letter] = _value
    _value += 1

_CONTAINER_RE = re.compile(r"^[A-Z]{3}[UJZ][0-9]{6}[0-9]$")
_CONTAINER_SHAPE_RE = re.compile(r"^[A-Z]{4}[0-9]{7}$")
_UNLOCODE_RE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more of the ASCII digits 0-9 and nothing else.

    ``str.isdigit`` is also true for superscripts and other scripts' digits (``"²"``, ``"٣"``), which
    ``int`` then refuses or silently reads: every parser of outside messages checks digits with this.
    """
    return text.isascii() and text.isdigit()


def iso6346_check_digit(first_ten: str) -> int:
    """Check digit of the first ten characters (owner code, category, serial).

    Weighted sum with weights 2**i, modulo 11, and a remainder of 10 maps to 0 (ISO 6346 §A.2;
    the standard discourages such serials but they are in use).
    """
    if len(first_ten) != 10:
        raise ValueError(f"expected 10 characters, got {len(first_ten)}")
    total = 0
    for i, ch in enumerate(first_ten):
        value = _LETTER_VALUES[ch] if ch.isalpha() else int(ch)
        total += value * (1 << i)
    return total % 11 % 10


def check_container_number(text: str) -> str | None:
    """Return why ``text`` is not a valid ISO 6346 container number, or ``None`` if it is."""
    if not _CONTAINER_SHAPE_RE.match(text):
        return "must be 4 capital letters and 7 digits, e.g. MSKU1234565"
    expected = iso6346_check_digit(text[:10])
    if int(text[10]) != expected:
        return f"check digit {text[10]} is wrong; ISO 6346 gives {expected}"
    if text[3] not in "UJZ":
        return f"category identifier {text[3]!r} must be U, J or Z"
    return None


@dataclass(frozen=True, slots=True)
class ContainerNumber:
    """An ISO 6346 container number with a valid check digit."""

    value: str

    def __post_init__(self) -> None:
        problem = check_container_number(self.value)
        if problem is not None:
            raise ValueError(f"container number {self.value!r}: {problem}")

    @property
    def owner_code(self) -> str:
        return self.value[:3]

    @property
    def category(self) -> str:
        return self.value[3]

    def __str__(self) -> str:
        return self.value


def check_unlocode(text: str) -> str | None:
    """Return why ``text`` is not a UN/LOCODE in the 5-character form, or ``None`` if it is."""
    if not _UNLOCODE_RE.match(text):
        return "must be a 2-letter country code and 3 letters or digits 2-9, e.g. CNSHA"
    return None


@dataclass(frozen=True, slots=True)
class UnLocode:
    """A UN/LOCODE (country + location, ``^[A-Z]{2}[A-Z2-9]{3}$``)."""

    value: str

    def __post_init__(self) -> None:
        problem = check_unlocode(self.value)
        if problem is not None:
            raise ValueError(f"UN/LOCODE {self.value!r}: {problem}")

    @property
    def country(self) -> str:
        return self.value[:2]

    def __str__(self) -> str:
        return self.value


_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Checksum:
    """SHA-256 of a document's RFC 8785 canonical form, lowercase hex (DCSA ``documentChecksum``)."""

    hex: str

    def __post_init__(self) -> None:
        if not _HEX64_RE.match(self.hex):
            raise ValueError("checksum must be 64 lowercase hex characters")

    def to_bytes32(self) -> bytes:
        return bytes.fromhex(self.hex)

    @classmethod
    def from_bytes32(cls, raw: bytes) -> Checksum:
        return cls(raw.hex())

    def __str__(self) -> str:
        return self.hex
