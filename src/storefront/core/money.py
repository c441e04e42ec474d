"""The one money type: a Decimal with two places, sent and received as a string ("1299.00");
and the conversion to the integer minor units that payment gateways speak."""

from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext
from typing import Annotated

from iso4217 import Currency
from pydantic import AfterValidator, Field, PlainSerializer

TWO_PLACES = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    """Exact for a Money value: validation has already brought it to two places."""
    return f"{value:.2f}"


# max_digits/decimal_places match NUMERIC(12,2): "12.345" is refused, never silently rounded.
Money = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2, allow_inf_nan=False),
    AfterValidator(quantize),
    PlainSerializer(format_money, return_type=str, when_used="json"),
]


def minor_unit_exponent(currency: str) -> int:
    """ISO 4217's exponent (2 for INR, 0 for JPY, 3 for KWD), from the maintained ISO table."""
    try:
        exponent = Currency(currency.upper()).exponent
    except ValueError:
        raise ValueError(f"{currency!r} is not an ISO 4217 currency.") from None
    if exponent is None:
        raise ValueError(f"{currency} has no minor unit (it is not money one pays with).")
    return exponent


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Exact or refused: 1299.50 INR is 129950, but 1299.50 JPY is a ValueError, never
    rounded."""
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount.")
    exponent = minor_unit_exponent(currency)
    with localcontext() as context:
        context.traps[Inexact] = True  # more digits than the context holds: refused, not rounded
        try:
            minor = amount.scaleb(exponent)
        except Inexact:
            raise ValueError(f"{amount} has too many digits.") from None
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units.")
    return int(minor)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """129950 INR is Decimal("1299.50"), 1299 JPY is Decimal("1299"), 1230 KWD "1.230"."""
    return Decimal(minor).scaleb(-minor_unit_exponent(currency))
