"""Checkout: the cart becomes an order in one transaction, or nothing changes.

The cart is read with its row locked (two checkouts of one cart run one after the other), every
line re-priced from the catalog, the address and lines copied onto the order, the cart emptied,
`order.created` recorded, and the stock reserved for all lines in one statement. Reserving comes
last: the products' rows, which every buyer of a product contends for, stay locked only for that
statement and the commit, not for the writes before it."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import (
    ARRAY,
    INTEGER,
    INTERVAL,
    JSONB,
    NUMERIC,
    TEXT,
    UUID,
    VARCHAR,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cart import service as cart
from storefront.catalog import service as catalog
from storefront.core.events.outbox import record_event
from storefront.core.money import quantize
from storefront.orders.errors import (
    EmptyCart,
    InsufficientStock,
    PriceChanged,
    PriceRise,
    TooManyPendingOrders,
)
from storefront.orders.models import ActorType, OrderStatus, PaymentStatus
from storefront.orders.schemas import Order, OrderLine, ShippingAddress, TimelineEntry
from storefront.users import service as users

ORDER_CREATED = "order.created"


@dataclass(frozen=True)
class CheckoutRules:
    currency: str
    max_pending_orders: int
    payment_window: timedelta


# The order, its lines and its first timeline entry in one statement, written only while the
# user holds fewer pending orders than the limit (counted after the cart lock, so a user's
# checkouts are counted one after the other).
_PLACE = text(
    """
    WITH placed AS (
        INSERT INTO orders (order_id, user_id, status, currency, subtotal, discount, total,
                            shipping_address, payment_status, expires_at, created_at, updated_at)
        SELECT :order_id, :user_id, 'pending_payment', :currency, :subtotal, :discount, :total,
               :shipping_address, 'unpaid', now() + :payment_window, now(), now()
        WHERE (SELECT count(*) FROM orders
               WHERE user_id = :user_id AND status = 'pending_payment') < :max_pending
        RETURNING order_id, created_at, updated_at, expires_at
    ),
    lines AS (
        INSERT INTO order_lines (order_id, product_id, name, unit_price, quantity, line_total)
        SELECT placed.order_id, l.product_id, l.name, l.unit_price, l.quantity, l.line_total
        FROM placed,
             unnest(:product_ids, :names, :unit_prices, :quantities, :line_totals)
                 AS l(product_id, name, unit_price, quantity, line_total)
    ),
    entry AS (
        INSERT INTO order_timeline (order_id, from_status, to_status, at, actor_type, actor_id)
        SELECT order_id, NULL, 'pending_payment', created_at, 'user', :user_id FROM placed
    )
    SELECT created_at, updated_at, expires_at FROM placed
    """
).bindparams(
    bindparam("order_id", type_=UUID(as_uuid=True)),
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("currency", type_=VARCHAR),
    bindparam("subtotal", type_=NUMERIC(12, 2)),
    bindparam("discount", type_=NUMERIC(12, 2)),
    bindparam("total", type_=NUMERIC(12, 2)),
    bindparam("shipping_address", type_=JSONB),
    bindparam("payment_window", type_=INTERVAL),
    bindparam("max_pending", type_=INTEGER),
    bindparam("product_ids", type_=ARRAY(UUID(as_uuid=True))),
    bindparam("names", type_=ARRAY(TEXT)),
    bindparam("unit_prices", type_=ARRAY(NUMERIC(12, 2))),
    bindparam("quantities", type_=ARRAY(INTEGER)),
    bindparam("line_totals", type_=ARRAY(NUMERIC(12, 2))),
)


@dataclass(frozen=True)
class _PricedLine:
    product_id: uuid.UUID
    name: str
    list_price: Decimal
    unit_price: Decimal
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return quantize(self.unit_price * self.quantity)


async def place_order(
    session: AsyncSession, user_id: uuid.UUID, address_id: uuid.UUID, rules: CheckoutRules
) -> Order:
    lines = await cart.lines_for_checkout(session, user_id)
    if not lines:
        raise EmptyCart()
    quantities = {line.product_id: line.quantity for line in lines}
    snapshots = await catalog.product_snapshots(session, quantities, rules.currency)
    rises = [
        PriceRise(line.product_id, line.added_unit_price, product.unit_price)
        for line in lines
        if (product := snapshots.get(line.product_id)) is not None
        and product.active
        and product.unit_price > line.added_unit_price
    ]
    if rises:
        # The buyer has now seen the new prices: a retry accepts them, so this must commit.
        await cart.accept_current_prices(
            session, user_id, {rise.product_id: rise.unit_price for rise in rises}
        )
        raise PriceChanged(rises).committing()
    sellable = [snapshots[p] for p in sorted(quantities) if p in snapshots and snapshots[p].active]
    if len(sellable) < len(quantities):
        # The reservation names every short line, these included, and takes nothing.
        raise InsufficientStock((await catalog.reserve_stock(session, quantities)).short)
    address = await users.address_snapshot(session, user_id, address_id)
    priced = [
        _PricedLine(p.product_id, p.name, p.price, p.unit_price, quantities[p.product_id])
        for p in sellable
    ]
    await cart.clear_cart(session, user_id)
    order = await _insert_order(session, user_id, address, priced, rules)
    record_event(session, ORDER_CREATED, {"order_id": str(order.order_id), "user_id": str(user_id)})
    await session.flush()  # everything but the reservation is written before it
    reservation = await catalog.reserve_stock(session, quantities)
    if not reservation.reserved:
        raise InsufficientStock(reservation.short)
    return order


async def _insert_order(
    session: AsyncSession,
    user_id: uuid.UUID,
    address: users.AddressSnapshot,
    lines: Sequence[_PricedLine],
    rules: CheckoutRules,
) -> Order:
    order_id = uuid.uuid4()
    subtotal = sum((quantize(line.list_price * line.quantity) for line in lines), Decimal(0))
    total = sum((line.line_total for line in lines), Decimal(0))
    placed = (
        await session.execute(
            _PLACE,
            {
                "order_id": order_id,
                "user_id": user_id,
                "currency": rules.currency,
                "subtotal": subtotal,
                "discount": subtotal - total,
                "total": total,
                "shipping_address": address.as_dict(),
                "payment_window": rules.payment_window,
                "max_pending": rules.max_pending_orders,
                "product_ids": [line.product_id for line in lines],
                "names": [line.name for line in lines],
                "unit_prices": [line.unit_price for line in lines],
                "quantities": [line.quantity for line in lines],
                "line_totals": [line.line_total for line in lines],
            },
        )
    ).first()
    if placed is None:
        raise TooManyPendingOrders(rules.max_pending_orders)
    return Order(
        order_id=order_id,
        status=OrderStatus.PENDING_PAYMENT,
        payment_status=PaymentStatus.UNPAID,
        currency=rules.currency,
        subtotal=subtotal,
        discount=subtotal - total,
        total=total,
        items=[
            OrderLine(
                product_id=line.product_id,
                name=line.name,
                unit_price=line.unit_price,
                quantity=line.quantity,
                line_total=line.line_total,
            )
            for line in lines
        ],
        shipping_address=ShippingAddress.model_validate(address),
        tracking_number=None,
        expires_at=placed.expires_at,
        created_at=placed.created_at,
        updated_at=placed.updated_at,
        timeline=[
            TimelineEntry(
                from_status=None,
                to_status=OrderStatus.PENDING_PAYMENT,
                at=placed.created_at,
                actor_type=ActorType.USER,
                note=None,
            )
        ],
    )
