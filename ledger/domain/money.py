"""Amounts of money as the registry holds them: whole numbers of a currency's minor unit (ISO 4217).

A caller states an amount as a decimal string in the major unit (``"1250000.00"`` US dollars); the
chain stores it as a ``uint128`` count of minor units (cents). How many decimals a currency has is
its ISO 4217 minor unit: 2 unless the table below says otherwise (0 for the yen, 3 for the Bahraini
dinar). Pure: it knows no request field and words no problem for a caller; it raises ``ValueError``
and the caller reports it in its own terms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

MINOR_UNITS: Mapping[str, int] = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip
"""ISO 4217 minor units of the currencies where they are not 2."""

AMOUNT_LIMIT = 2**128
"""Amounts in minor units stay below this: the registry stores them as ``uint128``."""


def is_currency_code(text: str) -> bool:
    """Whether ``text`` has the shape of an ISO 4217 alphabetic code: three upper-case ASCII letters."""
    return len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()


def minor_units(currency: str) -> int:
    """How many decimals ``currency``'s minor unit has (ISO 4217): 2 unless listed otherwise."""
    return MINOR_UNITS.get(currency, 2)


_PLAIN_DECIMAL = re.compile(r"([0-9]{1,40})(?:\.([0-9]{1,18}))?")
"""Digits, optionally a point and more digits: no sign, no exponent, no spaces (ASCII only)."""


def to_minor_units(amount: str, currency: str) -> int:
    """``amount``, a positive decimal string in the major unit, as a whole number of minor units.

    Raises ``ValueError`` when it is not a finite positive decimal, has more decimals than
    ``currency``'s minor unit, or does not stay below :data:`AMOUNT_LIMIT`.
    """
    exponent = minor_units(currency)
    match = _PLAIN_DECIMAL.fullmatch(amount)
    if match is not None:
        whole, decimals = match.group(1), match.group(2) or ""
        if len(decimals) <= exponent:
            # Exact integer arithmetic: no decimal context, so no rounding and no overflow.
            value = int(whole + decimals.ljust(exponent, "0"))
            if 0 < value < AMOUNT_LIMIT:
                return value
    raise ValueError(
        f"amount {amount!r}: not a positive decimal with at most {exponent} decimals for {currency}"
    )


def from_minor_units(amount: int, currency: str) -> str:
    """A whole number of minor units as a decimal string in the major unit, with every decimal of
    ``currency`` (``125000000`` USD → ``"1250000.00"``)."""
    exponent = minor_units(currency)
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"
