"""Unpaid orders expire `STOREFRONT_ORDER_PAYMENT_MINUTES` after checkout and give their stock
back. Batches are claimed with FOR UPDATE SKIP LOCKED, so two workers running the job at once
expire disjoint orders, and each order's stock is released once."""

import uuid
from collections import Counter

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import INTEGER
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.service import release_stock
from storefront.orders.models import OrderStatus
from storefront.orders.transitions import record_change

BATCH_SIZE = 100

_EXPIRE = text(
    """
    WITH due AS (
        SELECT order_id FROM orders
        WHERE status = 'pending_payment' AND expires_at <= now()
        ORDER BY expires_at
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    ),
    moved AS (
        UPDATE orders AS o SET status = 'expired', updated_at = now()
        FROM due
        WHERE o.order_id = due.order_id AND o.status = 'pending_payment'
        RETURNING o.order_id, o.user_id
    ),
    entries AS (
        INSERT INTO order_timeline (order_id, from_status, to_status, at, actor_type)
        SELECT order_id, 'pending_payment', 'expired', now(), 'system' FROM moved
    )
    SELECT moved.order_id, moved.user_id, l.product_id, l.quantity
    FROM moved JOIN order_lines AS l ON l.order_id = moved.order_id
    """
).bindparams(bindparam("batch_size", type_=INTEGER))


async def expire_due_orders(session: AsyncSession, batch_size: int = BATCH_SIZE) -> int:
    """Expire every order whose payment time is up (batch after batch); how many expired."""
    expired = 0
    while True:
        count = await _expire_batch(session, batch_size)
        expired += count
        if count < batch_size:
            return expired


async def _expire_batch(session: AsyncSession, batch_size: int) -> int:
    rows = (await session.execute(_EXPIRE, {"batch_size": batch_size})).all()
    released: Counter[uuid.UUID] = Counter()
    owners: dict[uuid.UUID, uuid.UUID] = {}
    for row in rows:
        released[row.product_id] += row.quantity
        owners[row.order_id] = row.user_id
    await release_stock(session, released)
    for order_id, user_id in owners.items():
        record_change(session, order_id, user_id, OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED)
    return len(owners)
