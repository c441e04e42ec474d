"""The order state machine. Every change is a compare-and-set on the status the order was read
in, recorded in its timeline in the same statement; stock goes back when an order is cancelled
or expires, exactly once, because only one compare-and-set can win.

    pending_payment -> paid -> processing -> shipped -> delivered
    pending_payment -> cancelled | expired
    paid | processing -> cancelled       (the payments module refunds on `order.cancelled`)
    expired -> paid                      (a late payment, when the stock could be taken again)
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.service import release_stock
from storefront.core.errors import InvalidInput
from storefront.core.events.outbox import record_event
from storefront.core.schemas import FieldError
from storefront.orders.errors import IllegalTransition, OrderNotFound
from storefront.orders.models import ActorType, OrderStatus, PaymentStatus, orders_table

S = OrderStatus
LEGAL: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED}),
    S.PAID: frozenset({S.PROCESSING, S.CANCELLED}),
    S.PROCESSING: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset({S.PAID}),
}
# Reaching these gives the order's stock back.
RELEASING = frozenset({S.CANCELLED, S.EXPIRED})
# Cancelling from these takes back money already paid: payments refunds on the event.
PAID_STATES = frozenset({S.PAID, S.PROCESSING})

STATUS_CHANGED = "order.status_changed"
CANCELLED = "order.cancelled"


@dataclass(frozen=True)
class Actor:
    type: ActorType
    actor_id: uuid.UUID | None = None


SYSTEM = Actor(ActorType.SYSTEM)


@dataclass(frozen=True)
class Change:
    """One transition to make: optional fields that travel with it."""

    to: OrderStatus
    actor: Actor
    note: str | None = None
    tracking_number: str | None = None
    payment_status: PaymentStatus | None = None


# The compare-and-set and its timeline entry in one statement; the order's lines come back with
# it, for the stock to release.
_MOVE = text(
    """
    WITH moved AS (
        UPDATE orders
        SET status = :to_status, updated_at = now(),
            tracking_number = coalesce(:tracking_number, tracking_number),
            payment_status = coalesce(:payment_status, payment_status)
        WHERE order_id = :order_id AND status = :from_status
        RETURNING order_id, user_id
    ),
    entry AS (
        INSERT INTO order_timeline
            (order_id, from_status, to_status, at, actor_type, actor_id, note)
        SELECT order_id, :from_status, :to_status, now(), CAST(:actor_type AS varchar),
               :actor_id, CAST(:note AS text)
        FROM moved
    )
    SELECT moved.user_id, l.product_id, l.quantity
    FROM moved LEFT JOIN order_lines AS l ON l.order_id = moved.order_id
    """
).bindparams(
    bindparam("order_id", type_=UUID(as_uuid=True)),
    bindparam("actor_id", type_=UUID(as_uuid=True)),
)


async def current_status(
    session: AsyncSession, order_id: uuid.UUID, owner: uuid.UUID | None = None
) -> OrderStatus:
    """The order's status; OrderNotFound when it does not exist or is not `owner`'s."""
    query = select(orders_table.c.status).where(orders_table.c.order_id == order_id)
    if owner is not None:
        query = query.where(orders_table.c.user_id == owner)
    status = await session.scalar(query)
    if status is None:
        raise OrderNotFound()
    return OrderStatus(status)


async def move(
    session: AsyncSession, order_id: uuid.UUID, current: OrderStatus, change: Change
) -> uuid.UUID | None:
    """Compare-and-set `current` -> `change.to` (IllegalTransition if the machine forbids it),
    with its timeline entry, stock release and events. None when the order was no longer in
    `current`: someone else changed it first."""
    if change.to not in LEGAL[current]:
        raise IllegalTransition(current, change.to)
    rows = (
        await session.execute(
            _MOVE,
            {
                "order_id": order_id,
                "from_status": current.value,
                "to_status": change.to.value,
                "tracking_number": change.tracking_number,
                "payment_status": change.payment_status and change.payment_status.value,
                "actor_type": change.actor.type.value,
                "actor_id": change.actor.actor_id,
                "note": change.note,
            },
        )
    ).all()
    if not rows:
        return None
    user_id: uuid.UUID = rows[0].user_id
    if change.to in RELEASING:
        await release_stock(session, {row.product_id: row.quantity for row in rows})
    record_change(
        session, order_id, user_id, current, change.to, tracking_number=change.tracking_number
    )
    return user_id


def record_change(
    session: AsyncSession,
    order_id: uuid.UUID,
    user_id: uuid.UUID,
    from_status: OrderStatus,
    to_status: OrderStatus,
    *,
    tracking_number: str | None = None,
) -> None:
    """The outbox events of a change: `order.status_changed` (the owner is told), and
    `order.cancelled` when money already paid must go back."""
    ids = {"order_id": str(order_id), "user_id": str(user_id)}
    record_event(
        session,
        STATUS_CHANGED,
        ids
        | {
            "from_status": from_status.value,
            "to_status": to_status.value,
            "tracking_number": tracking_number,
        },
    )
    if to_status is S.CANCELLED and from_status in PAID_STATES:
        record_event(session, CANCELLED, ids | {"previous_status": from_status.value})


async def change_status(
    session: AsyncSession, order_id: uuid.UUID, change: Change, owner: uuid.UUID | None = None
) -> None:
    """Move the order to `change.to` from whatever status it is in, if the machine allows it.
    A concurrent change that wins first is read again and judged afresh; the machine has no
    cycle, so this ends."""
    current = await current_status(session, order_id, owner)
    while await move(session, order_id, current, change) is None:
        current = await current_status(session, order_id, owner)


async def cancel_order(session: AsyncSession, user_id: uuid.UUID, order_id: uuid.UUID) -> None:
    """The owner cancels an order that has not shipped yet."""
    await change_status(
        session, order_id, Change(S.CANCELLED, Actor(ActorType.USER, user_id)), owner=user_id
    )


TRACKING_REQUIRED = FieldError(
    field="tracking_number", message="A shipped order needs its tracking number."
)
TRACKING_ONLY_WHEN_SHIPPED = FieldError(
    field="tracking_number", message="Only a change to shipped takes a tracking number."
)


async def admin_change_status(
    session: AsyncSession,
    admin_id: uuid.UUID,
    order_id: uuid.UUID,
    to: OrderStatus,
    *,
    note: str | None,
    tracking_number: str | None,
) -> None:
    if to is S.SHIPPED and tracking_number is None:
        raise InvalidInput(errors=[TRACKING_REQUIRED])
    if to is not S.SHIPPED and tracking_number is not None:
        raise InvalidInput(errors=[TRACKING_ONLY_WHEN_SHIPPED])
    change = Change(to, Actor(ActorType.ADMIN, admin_id), note, tracking_number)
    await change_status(session, order_id, change)
