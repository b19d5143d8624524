"""``ledger.domain.money``: decimal amounts in a currency's major unit ↔ whole minor units, by the
currency's ISO 4217 minor unit, below the registry's ``uint128`` limit."""

from __future__ import annotations

import pytest

from ledger.domain.money import (
    AMOUNT_LIMIT,
    from_minor_units,
    is_currency_code,
    minor_units,
    to_minor_units,
)


@pytest.mark.parametrize(("currency", "decimals"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("BHD", 3)])
def test_minor_units_of_currency_follow_iso4217(currency: str, decimals: int) -> None:
    assert minor_units(currency) == decimals


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("1250000.00", "USD", 125_000_000), ("0.01", "USD", 1), ("12", "EUR", 1200), ("500", "JPY", 500)],
)
def test_to_minor_units_when_within_decimals_scales_to_whole_minor_units(
    amount: str, currency: str, minor: int
) -> None:
    assert to_minor_units(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("0.001", "USD"), ("1.5", "JPY"), ("0", "USD"), ("-1", "USD"), ("NaN", "USD"), ("sNaN", "USD"),
     ("Infinity", "USD"), ("abc", "USD"), ("", "USD")],
)  # fmt: skip
def test_to_minor_units_when_not_a_positive_amount_of_the_currency_raises(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match="not a positive decimal"):
        to_minor_units(amount, currency)


def test_to_minor_units_above_the_uint128_limit_raises() -> None:
    assert AMOUNT_LIMIT < 10**39
    assert to_minor_units("1" + "0" * 38, "JPY") == 10**38
    with pytest.raises(ValueError):
        to_minor_units("1" + "0" * 39, "JPY")
    # Exactly at the limit: no rounding lets 2**128 through as a number just below it.
    assert to_minor_units(str(AMOUNT_LIMIT - 1), "JPY") == AMOUNT_LIMIT - 1
    with pytest.raises(ValueError):
        to_minor_units(str(AMOUNT_LIMIT), "JPY")


@pytest.mark.parametrize(
    "amount", ["1e38", "1e999999", "1E2", "+5", " 5", "5 ", "1_000", "\u0661\u0662", "5."]
)
def test_to_minor_units_takes_plain_ascii_decimals_only(amount: str) -> None:
    with pytest.raises(ValueError, match="not a positive decimal"):
        to_minor_units(amount, "USD")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(125_000_000, "USD", "1250000.00"), (500, "JPY", "500"), (1, "KWD", "0.001")],
)
def test_from_minor_units_shows_every_decimal_of_the_currency(minor: int, currency: str, text: str) -> None:
    assert from_minor_units(minor, currency) == text
    assert to_minor_units(text, currency) == minor


@pytest.mark.parametrize(("text", "valid"), [("USD", True), ("usd", False), ("US", False), ("ÜSD", False)])
def test_is_currency_code_when_three_upper_case_ascii_letters(text: str, valid: bool) -> None:
    assert is_currency_code(text) is valid
