"""What can go wrong with an order, as the client is told it."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from storefront.catalog.service import ShortLine
from storefront.core.errors import Conflict, NotFound
from storefront.core.money import format_money
from storefront.orders.models import OrderStatus

ORDER_NOT_FOUND = "Order not found."


class OrderNotFound(NotFound):
    default_message = ORDER_NOT_FOUND


class EmptyCart(Conflict):
    default_message = "Your cart is empty. Add something to it before checking out."

    def __init__(self) -> None:
        super().__init__(details={"code": "empty_cart"})


class TooManyPendingOrders(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You already have {limit} orders waiting for payment. "
            "Pay for or cancel one of them first.",
            details={"code": "too_many_pending_orders"},
        )


@dataclass(frozen=True)
class PriceRise:
    """A line whose unit price rose since it was added to the cart."""

    product_id: uuid.UUID
    added_unit_price: Decimal
    unit_price: Decimal


class PriceChanged(Conflict):
    default_message = (
        "Some prices in your cart went up since you added the items. "
        "Check the new prices and place the order again to accept them."
    )

    def __init__(self, rises: Sequence[PriceRise]) -> None:
        items = [
            {
                "product_id": str(rise.product_id),
                "added_unit_price": format_money(rise.added_unit_price),
                "unit_price": format_money(rise.unit_price),
            }
            for rise in rises
        ]
        super().__init__(details={"code": "price_changed", "items": items})


class InsufficientStock(Conflict):
    default_message = "Some items are not available in the quantity you asked for."

    def __init__(self, short: Sequence[ShortLine]) -> None:
        items = [
            {
                "product_id": str(line.product_id),
                "requested": line.requested,
                "available": line.available,
            }
            for line in short
        ]
        super().__init__(details={"code": "insufficient_stock", "items": items})


class IllegalTransition(Conflict):
    def __init__(self, current: OrderStatus, wanted: OrderStatus) -> None:
        super().__init__(
            f"Cannot change an order from {current} to {wanted}.",
            details={"code": "illegal_transition", "current_status": str(current)},
        )
