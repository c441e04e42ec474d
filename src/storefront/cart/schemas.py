import uuid
from typing import Annotated

from pydantic import Field

from storefront.cart.pricing import LineProblem
from storefront.core.money import Money
from storefront.core.openapi import MAXIMUM_SETTING
from storefront.core.schemas import ErrorResponse, JsonInt, RequestSchema, Schema, SuccessResponse

# A JSON integer, never 1.5 or "2"; the per-line maximum (a setting) is checked by the service,
# and stated in the document (core/openapi.py fills it in).
Quantity = Annotated[
    JsonInt,
    Field(ge=1, json_schema_extra={MAXIMUM_SETTING: "cart_max_line_quantity"}),
]


class CartItemCreate(RequestSchema):
    product_id: uuid.UUID
    quantity: Quantity


class CartItemUpdate(RequestSchema):
    quantity: Quantity


class CartLine(Schema):
    item_id: uuid.UUID
    product_id: uuid.UUID
    name: str
    quantity: int
    unit_price: Money = Field(description="The price of one now: the discount price when set.")
    added_unit_price: Money = Field(description="The unit price when the line was added.")
    price_changed: bool = Field(description="unit_price differs from added_unit_price.")
    line_total: Money
    available: int = Field(description="Live stock (0 for a product no longer sold).")
    problems: list[LineProblem] = Field(description="Why the line cannot be bought as it is.")


class Cart(Schema):
    cart_id: uuid.UUID | None = Field(description="null when the caller has no cart yet.")
    items: list[CartLine]
    item_count: int = Field(description="Units over the lines that can still be bought.")
    subtotal: Money = Field(description="List prices times quantities.")
    discount: Money = Field(description="subtotal minus total.")
    total: Money = Field(description="Unit prices times quantities.")
    currency: str
    cart_token: str | None = Field(
        default=None,
        exclude_if=lambda token: token is None,
        description="Only on the response that created a guest cart: send it back as "
        "X-Cart-Token (it is also in that response's X-Cart-Token header).",
    )


class CartResponse(SuccessResponse):
    cart: Cart


class QuantityConflict(ErrorResponse):
    available: int
