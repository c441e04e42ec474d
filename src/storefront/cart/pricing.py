"""A cart as the buyer sees it: every line priced live from the catalog, flagged when it cannot
be bought as it stands, and the server's totals over the lines that can still be bought."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from storefront.catalog.service import ProductSnapshot
from storefront.core.money import quantize


class LineProblem(StrEnum):
    INACTIVE = "inactive"
    OUT_OF_STOCK = "out_of_stock"
    INSUFFICIENT_STOCK = "insufficient_stock"


@dataclass(frozen=True)
class StoredLine:
    item_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int
    added_unit_price: Decimal


@dataclass(frozen=True)
class LineView:
    item_id: uuid.UUID
    product_id: uuid.UUID
    name: str
    quantity: int
    unit_price: Decimal
    added_unit_price: Decimal
    price_changed: bool
    line_total: Decimal
    available: int
    problems: list[LineProblem]


@dataclass(frozen=True)
class CartView:
    cart_id: uuid.UUID | None
    items: list[LineView]
    item_count: int
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    currency: str
    # Only on the response that created a guest cart.
    cart_token: str | None = None


def empty_cart(cart_id: uuid.UUID | None, currency: str) -> CartView:
    zero = Decimal("0.00")
    return CartView(cart_id, [], 0, zero, zero, zero, currency)


def _problems(line: StoredLine, product: ProductSnapshot) -> list[LineProblem]:
    if not product.active:
        return [LineProblem.INACTIVE]
    if product.stock == 0:
        return [LineProblem.OUT_OF_STOCK]
    if line.quantity > product.stock:
        return [LineProblem.INSUFFICIENT_STOCK]
    return []


def _line_view(line: StoredLine, product: ProductSnapshot) -> LineView:
    unit_price = product.unit_price
    return LineView(
        item_id=line.item_id,
        product_id=line.product_id,
        name=product.name,
        quantity=line.quantity,
        unit_price=unit_price,
        added_unit_price=line.added_unit_price,
        price_changed=unit_price != line.added_unit_price,
        line_total=quantize(unit_price * line.quantity),
        available=product.stock if product.active else 0,
        problems=_problems(line, product),
    )


def price_cart(
    cart_id: uuid.UUID,
    lines: Iterable[StoredLine],
    products: Mapping[uuid.UUID, ProductSnapshot],
    currency: str,
) -> CartView:
    """`products` holds every line's product (a line's product is never deleted, only
    deactivated). Inactive lines are shown, flagged, and left out of the totals."""
    views, count, subtotal, total = [], 0, Decimal(0), Decimal(0)
    for line in lines:
        product = products[line.product_id]
        view = _line_view(line, product)
        views.append(view)
        if product.active:
            count += view.quantity
            subtotal += product.price * view.quantity
            total += view.line_total
    subtotal, total = quantize(subtotal), quantize(total)
    return CartView(cart_id, views, count, subtotal, subtotal - total, total, currency)
