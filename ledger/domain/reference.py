"""Reference data the oracles read messages against: ISO 6346 size-type codes, UN/LOCODE with the
legacy Chinese port aliases, and the China Customs enterprise credit levels.

The tables are CSV files shipped as package data in ``ledger/domain/reference_data`` (sources and
licences in its README). They are loaded once, lazily, and never from outside the package. This
module owns lookups only; deciding whether a message is acceptable is the oracles' job.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from ledger.domain.values import check_unlocode

_DATA_PACKAGE = "ledger.domain.reference_data"


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files(_DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --------------------------------------------------------------------------------------------
# ISO 6346 size-type codes
# --------------------------------------------------------------------------------------------


class SizeTypeSource(StrEnum):
    """Where a size-type description came from."""

    TABLE = "TABLE"  # the published code table
    DECODED = "DECODED"  # decoded character by character (codes the table lacks, e.g. 4EG1)


@dataclass(frozen=True, slots=True)
class SizeType:
    """What an ISO 6346 size-type code (e.g. ``22G1``, ``4EG1``, legacy ``4500``) says."""

    code: str
    length: str  # e.g. "20 ft", "45 ft"
    height: str  # e.g. "8 ft 6 in", "9 ft 6 in"
    pallet_wide: bool
    type_group: str  # e.g. "GP", "RT"; the table's group code for table rows
    description: str
    source: SizeTypeSource


@dataclass(frozen=True, slots=True)
class _CodeCharacter:
    dimension: str
    value: str
    width_class: str
    note: str


@cache
def _code_characters() -> dict[tuple[int, str], _CodeCharacter]:
    table: dict[tuple[int, str], _CodeCharacter] = {}
    for row in _rows("iso6346_size_code_characters.csv"):
        table[(int(row["position"]), row["code"])] = _CodeCharacter(
            dimension=row["dimension"],
            value=row["value_imperial"],
            width_class=row["width_class"],
            note=row["note"],
        )
    return table


def _feet(text: str) -> str:
    """Render the table's decimal feet (``8.5``) as the usual ``8 ft 6 in``."""
    value = float(text)
    feet = int(value)
    inches = round((value - feet) * 12)
    return f"{feet} ft {inches} in" if inches else f"{feet} ft"


@cache
def _size_type_table() -> dict[str, SizeType]:
    table: dict[str, SizeType] = {}
    for row in _rows("iso6346_size_type_codes.csv"):
        code = row["code"]
        # The source table lists 42HR twice (insulated and reefer); the first row wins.
        if code in table:
            continue
        second = code[1]
        table[code] = SizeType(
            code=code,
            length=_feet(row["length"]),
            height=_feet(row["height"]),
            pallet_wide=second in "CDEF",
            type_group=row["group"][2:],  # "22GP" -> "GP"
            description=row["description"],
            source=SizeTypeSource.TABLE,
        )
    return table


def decode_size_type(code: str) -> SizeType:
    """Decode a 1995-style size-type code from its characters (length, height/width, type letter).

    Raises ``ValueError`` naming the character that cannot be decoded.
    """
    if len(code) != 4:
        raise ValueError(f"size-type code {code!r} must have 4 characters")
    chars = _code_characters()
    length = chars.get((1, code[0]))
    if length is None:
        raise ValueError(f"size-type code {code!r}: unknown length character {code[0]!r}")
    height = chars.get((2, code[1]))
    if height is None:
        raise ValueError(f"size-type code {code!r}: unknown height/width character {code[1]!r}")
    group = chars.get((3, code[2]))
    if group is None:
        raise ValueError(f"size-type code {code!r}: unknown type letter {code[2]!r}")
    if not code[3].isalnum():
        raise ValueError(f"size-type code {code!r}: type detail {code[3]!r} must be a letter or digit")
    return SizeType(
        code=code,
        length=length.value,
        height=height.value,
        pallet_wide="pallet-wide" in height.width_class,
        type_group=group.value,
        description=group.note,
        source=SizeTypeSource.DECODED,
    )


def size_type(code: str) -> SizeType:
    """Look ``code`` up in the ISO 6346 table, decoding it from its characters when the table lacks it."""
    found = _size_type_table().get(code)
    if found is not None:
        return found
    return decode_size_type(code)


def check_size_type(code: str) -> str | None:
    """Return why ``code`` is not a known or decodable size-type code, or ``None`` if it is."""
    try:
        size_type(code)
    except ValueError as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------------------------
# UN/LOCODE and the legacy Chinese port aliases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocodeEntry:
    """One row of the shipped UN/LOCODE extract."""

    code: str
    name: str
    subdivision: str
    function: str  # UN/LOCODE function string, e.g. "1-------" (sea port)

    @property
    def is_port(self) -> bool:
        return self.function.startswith("1")


@dataclass(frozen=True, slots=True)
class PortLocation:
    """A location code as sent, and what it means for shipping.

    ``port_code`` is the code of the port in the current UN/LOCODE list; for a legacy Chinese alias
    (CNSHA used for Shanghai port, which the current list gives to Hongqiao airport) it differs from
    ``as_sent``.
    """

    as_sent: str
    port_code: str
    city_code: str | None
    legacy_alias: bool
    name: str | None


@dataclass(frozen=True, slots=True)
class _LegacyAlias:
    city_code: str
    port_code: str
    airport_code: str


@cache
def _locode_extract() -> dict[str, LocodeEntry]:
    return {
        row["unlocode"]: LocodeEntry(
            code=row["unlocode"],
            name=row["name_wo_diacritics"] or row["name"],
            subdivision=row["subdivision"],
            function=row["function"],
        )
        for row in _rows("unlocode_ports_extract.csv")
    }


@cache
def _legacy_aliases() -> dict[str, _LegacyAlias]:
    return {
        row["legacy_code"]: _LegacyAlias(
            city_code=row["current_city_code"],
            port_code=row["current_port_code"],
            airport_code=row["current_airport_code"],
        )
        for row in _rows("unlocode_china_legacy_port_aliases.csv")
    }


def locode_entry(code: str) -> LocodeEntry | None:
    """The extract's row for ``code``, or ``None`` when the extract does not list it."""
    return _locode_extract().get(code)


def is_legacy_port_alias(code: str) -> bool:
    """Whether ``code`` is a traditional Chinese port code that the current list reassigns."""
    return code in _legacy_aliases()


def resolve_port(code: str) -> PortLocation:
    """Normalise a port code as carriers and terminals send it.

    Legacy Chinese codes (CNSHA, CNNGB, CNTAO, CNXGG, ...) map to the current port code; any other
    well-formed code is kept as it is (the extract is not the full list, so absence is no error).
    Raises ``ValueError`` for a code that is not UN/LOCODE-shaped.
    """
    problem = check_unlocode(code)
    if problem is not None:
        raise ValueError(f"UN/LOCODE {code!r}: {problem}")
    alias = _legacy_aliases().get(code)
    if alias is not None:
        port = locode_entry(alias.port_code)
        return PortLocation(
            as_sent=code,
            port_code=alias.port_code,
            city_code=alias.city_code,
            legacy_alias=True,
            name=port.name if port else None,
        )
    entry = locode_entry(code)
    return PortLocation(
        as_sent=code,
        port_code=code,
        city_code=None,
        legacy_alias=False,
        name=entry.name if entry else None,
    )


# --------------------------------------------------------------------------------------------
# China Customs enterprise credit levels
# --------------------------------------------------------------------------------------------


class CreditLevel(StrEnum):
    """China Customs enterprise credit categories across GAC Orders 237, 251 and 282."""

    ADVANCED_CERTIFIED = "ADVANCED_CERTIFIED"  # 高级认证企业 (AEO under every order)
    CERTIFIED = "CERTIFIED"  # 认证企业 (Order 282, AEO)
    GENERAL_CERTIFIED = "GENERAL_CERTIFIED"  # 一般认证企业 (Orders 225/237, AEO; abolished by 251)
    GENERAL_CREDIT = "GENERAL_CREDIT"  # 一般信用企业 (Orders 225/237)
    REGULAR = "REGULAR"  # 常规企业 (Order 282) / regular management under 251
    DISHONEST = "DISHONEST"  # 失信企业
    SERIOUSLY_DISHONEST = "SERIOUSLY_DISHONEST"  # 严重失信企业 (Order 282)


class CreditRegime(StrEnum):
    """The GAC order a credit level is granted under."""

    ORDER_237 = "GAC_ORDER_237"
    ORDER_251 = "GAC_ORDER_251"
    ORDER_282 = "GAC_ORDER_282"


_LEVEL_BY_CHINESE: dict[str, CreditLevel] = {
    "高级认证企业": CreditLevel.ADVANCED_CERTIFIED,
    "认证企业": CreditLevel.CERTIFIED,
    "一般认证企业": CreditLevel.GENERAL_CERTIFIED,
    "一般信用企业": CreditLevel.GENERAL_CREDIT,
    "(其他/常规管理企业)": CreditLevel.REGULAR,
    "常规企业": CreditLevel.REGULAR,
    "失信企业": CreditLevel.DISHONEST,
    "严重失信企业": CreditLevel.SERIOUSLY_DISHONEST,
}


def _regime_of(text: str) -> CreditRegime:
    if "282" in text:
        return CreditRegime.ORDER_282
    if "251" in text:
        return CreditRegime.ORDER_251
    return CreditRegime.ORDER_237


@dataclass(frozen=True, slots=True)
class CreditLevelDefinition:
    """One level as the credit-level table defines it for one regime."""

    regime: CreditRegime
    level: CreditLevel
    name_zh: str
    name_en: str
    is_aeo: bool


@cache
def credit_level_definitions() -> dict[tuple[CreditRegime, CreditLevel], CreditLevelDefinition]:
    """Every (regime, level) pair the table knows, with whether that level is an AEO."""
    table: dict[tuple[CreditRegime, CreditLevel], CreditLevelDefinition] = {}
    for row in _rows("china_customs_credit_levels.csv"):
        regime = _regime_of(row["regime"])
        level = _LEVEL_BY_CHINESE[row["level_zh"]]
        table[(regime, level)] = CreditLevelDefinition(
            regime=regime,
            level=level,
            name_zh=row["level_zh"],
            name_en=row["level_en"],
            is_aeo=row["is_aeo"] == "yes",
        )
    return table


def credit_level_definition(regime: CreditRegime, level: CreditLevel) -> CreditLevelDefinition:
    """The definition of ``level`` under ``regime``; ``ValueError`` if that regime has no such level."""
    found = credit_level_definitions().get((regime, level))
    if found is None:
        raise ValueError(f"credit level {level.value} does not exist under {regime.value}")
    return found


# --------------------------------------------------------------------------------------------
# Identifiers used by the credit and customs feeds
# --------------------------------------------------------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_uscc(text: str) -> str | None:
    """Return why ``text`` is not a Unified Social Credit Code (GB 32100-2015), or ``None``.

    18 characters from a 31-character alphabet (no I, O, S, V, Z); the last is a check character:
    31 minus the weighted sum modulo 31, with 31 written as 0.
    """
    if len(text) != 18:
        return f"must have 18 characters, has {len(text)}"
    bad = [ch for ch in text if ch not in _USCC_ALPHABET]
    if bad:
        return f"character {bad[0]!r} is not allowed (the alphabet omits I, O, S, V, Z)"
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(text[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_ALPHABET[(31 - total % 31) % 31]
    if text[17] != expected:
        return f"check character {text[17]!r} is wrong; GB 32100 gives {expected!r}"
    return None


def check_imo_number(text: str) -> str | None:
    """Return why ``text`` is not an IMO ship identification number (7 digits, last a check digit)."""
    digits = text.removeprefix("IMO")
    if len(digits) != 7 or not digits.isdigit():
        return "must be 7 digits"
    total = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    if total % 10 != int(digits[6]):
        return f"check digit {digits[6]} is wrong; the IMO scheme gives {total % 10}"
    return None
