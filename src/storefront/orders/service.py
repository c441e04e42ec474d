"""The orders module's façade: what the payments module may use of orders."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.service import reserve_stock
from storefront.orders.errors import OrderNotFound
from storefront.orders.models import (
    ActorType,
    OrderStatus,
    PaymentStatus,
    order_lines_table,
    orders_table,
)
from storefront.orders.transitions import Actor, Change, move

__all__ = [
    "CaptureOutcome",
    "OrderStatus",
    "PayableOrder",
    "PaymentStatus",
    "get_order_for_payment",
    "lock_order_for_payment",
    "record_capture",
    "set_payment_status",
]

orders = orders_table.c


@dataclass(frozen=True)
class PayableOrder:
    order_id: uuid.UUID
    user_id: uuid.UUID
    status: OrderStatus
    payment_status: PaymentStatus
    total: Decimal
    currency: str


class CaptureOutcome(StrEnum):
    PAID = "paid"
    ALREADY_PAID = "already_paid"
    # The order cannot take the money (cancelled, or expired and its stock gone): refund it.
    REFUND = "refund"


_PAYABLE = select(
    orders.order_id,
    orders.user_id,
    orders.status,
    orders.payment_status,
    orders.total,
    orders.currency,
)


def _payable(row: Any) -> PayableOrder:
    return PayableOrder(
        order_id=row.order_id,
        user_id=row.user_id,
        status=OrderStatus(row.status),
        payment_status=PaymentStatus(row.payment_status),
        total=row.total,
        currency=row.currency,
    )


async def get_order_for_payment(
    session: AsyncSession, user_id: uuid.UUID, order_id: uuid.UUID
) -> PayableOrder:
    """The user's order; OrderNotFound (404) when it is not theirs or does not exist."""
    query = _PAYABLE.where(orders.order_id == order_id, orders.user_id == user_id)
    row = (await session.execute(query)).first()
    if row is None:
        raise OrderNotFound()
    return _payable(row)


async def lock_order_for_payment(session: AsyncSession, order_id: uuid.UUID) -> PayableOrder:
    """The order, its row locked until the transaction ends (for a gateway's webhook: no owner
    check); OrderNotFound when it does not exist."""
    query = _PAYABLE.where(orders.order_id == order_id).with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        raise OrderNotFound()
    return _payable(row)


async def record_capture(
    session: AsyncSession, order_id: uuid.UUID, *, payment_id: uuid.UUID
) -> CaptureOutcome:
    """Money for the order was captured by `payment_id`. pending_payment -> paid; an expired
    order is paid when its stock can be taken again, else REFUND; paid or later: ALREADY_PAID;
    cancelled: REFUND. The order's row is locked (again, if the caller holds it already)."""
    status = (await lock_order_for_payment(session, order_id)).status
    if status is OrderStatus.CANCELLED:
        return CaptureOutcome.REFUND
    if status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED):
        return CaptureOutcome.ALREADY_PAID
    if status is OrderStatus.EXPIRED and not await _take_stock_again(session, order_id):
        return CaptureOutcome.REFUND
    paid = Change(
        OrderStatus.PAID, Actor(ActorType.PAYMENT, payment_id), payment_status=PaymentStatus.PAID
    )
    await move(session, order_id, status, paid)  # the row is locked: the compare-and-set holds
    return CaptureOutcome.PAID


async def _take_stock_again(session: AsyncSession, order_id: uuid.UUID) -> bool:
    rows = await session.execute(
        select(order_lines_table.c.product_id, order_lines_table.c.quantity).where(
            order_lines_table.c.order_id == order_id
        )
    )
    reservation = await reserve_stock(session, {row.product_id: row.quantity for row in rows})
    return reservation.reserved


async def set_payment_status(
    session: AsyncSession, order_id: uuid.UUID, status: PaymentStatus
) -> None:
    """Record what the payments module knows of the order's money (a refund, say)."""
    result = await session.execute(
        update(orders_table)
        .where(orders.order_id == order_id)
        .values(payment_status=status.value, updated_at=func.now())
    )
    if not getattr(result, "rowcount", 0):
        raise OrderNotFound()
