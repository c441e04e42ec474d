"""The one money type: a Decimal with two places, sent and received as a string ("1299.00")."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

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
