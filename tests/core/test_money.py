"""Amounts in minor units, by ISO 4217's exponent for the currency, exact or refused."""

from decimal import Decimal

import pytest

from storefront.core.money import from_minor_units, minor_unit_exponent, to_minor_units


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1299.00", "INR", 129900),
        ("1299.50", "INR", 129950),
        ("0.01", "INR", 1),
        ("1299", "JPY", 1299),
        ("1299.00", "JPY", 1299),
        ("1500", "KRW", 1500),
        ("1.23", "KWD", 1230),
        ("99.991", "KWD", 99991),
        ("2.5", "BHD", 2500),
        ("10.00", "usd", 1000),
        ("0", "INR", 0),
    ],
)
def test_amounts_become_minor_units_and_back(amount: str, currency: str, minor: int) -> None:
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


def test_back_from_minor_units_shows_the_currencys_places() -> None:
    assert str(from_minor_units(129950, "INR")) == "1299.50"
    assert str(from_minor_units(1299, "JPY")) == "1299"
    assert str(from_minor_units(1230, "KWD")) == "1.230"


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("INR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("OMR", 3)],
)
def test_exponents_come_from_iso_4217(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1299.50", "JPY"),
        ("0.001", "INR"),
        ("1.2345", "KWD"),
        ("NaN", "INR"),
        ("Infinity", "INR"),
        ("1234567890123456789012345678.91", "INR"),
    ],
)
def test_an_amount_that_is_not_a_whole_number_of_minor_units_is_refused(
    amount: str, currency: str
) -> None:
    with pytest.raises(ValueError, match=r"minor units|not an amount|too many digits"):
        to_minor_units(Decimal(amount), currency)


@pytest.mark.parametrize("currency", ["ABC", "RUPEE", "", "XAU"])
def test_a_currency_without_minor_units_is_refused(currency: str) -> None:
    with pytest.raises(ValueError, match=r"ISO 4217|no minor unit"):
        to_minor_units(Decimal("1.00"), currency)
    with pytest.raises(ValueError, match=r"ISO 4217|no minor unit"):
        from_minor_units(100, currency)
