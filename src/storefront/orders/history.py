"""Reading orders: a user's history and one order in full, and the administrators' list."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.pagination import PageParams
from storefront.orders.errors import OrderNotFound
from storefront.orders.models import OrderStatus, order_lines_table, orders_table, timeline_table
from storefront.orders.schemas import Order, OrderLine, TimelineEntry

orders = orders_table.c
lines = order_lines_table.c
timeline = timeline_table.c


@dataclass(frozen=True)
class OrderFilters:
    user_id: uuid.UUID | None = None
    status: OrderStatus | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive

    def conditions(self) -> list[ColumnElement[bool]]:
        found = []
        if self.user_id is not None:
            found.append(orders.user_id == self.user_id)
        if self.status is not None:
            found.append(orders.status == self.status.value)
        if self.created_from is not None:
            found.append(orders.created_at >= self.created_from)
        if self.created_to is not None:
            found.append(orders.created_at < self.created_to)
        return found


_ITEM_COUNT = (
    select(func.coalesce(func.sum(lines.quantity), 0))
    .where(lines.order_id == orders.order_id)
    .scalar_subquery()
    .label("item_count")
)

_SUMMARY: Select[Any] = select(
    orders.order_id,
    orders.user_id,
    orders.status,
    orders.payment_status,
    orders.currency,
    orders.total,
    _ITEM_COUNT,
    orders.tracking_number,
    orders.expires_at,
    orders.created_at,
    orders.updated_at,
)


async def list_orders(
    session: AsyncSession, filters: OrderFilters, page: PageParams
) -> tuple[Sequence[Any], int]:
    """A page of order summaries, newest first, and how many match in all."""
    conditions = filters.conditions()
    total = await session.scalar(select(func.count()).select_from(orders_table).where(*conditions))
    rows = (
        await session.execute(
            _SUMMARY.where(*conditions)
            .order_by(orders.created_at.desc(), orders.order_id.desc())
            .limit(page.page_size)
            .offset(page.offset)
        )
    ).all()
    return rows, total or 0


async def get_order(
    session: AsyncSession, order_id: uuid.UUID, owner: uuid.UUID | None = None
) -> Order:
    """The order with its lines and timeline; OrderNotFound when it is not `owner`'s."""
    query = select(orders_table).where(orders.order_id == order_id)
    if owner is not None:
        query = query.where(orders.user_id == owner)
    row = (await session.execute(query)).first()
    if row is None:
        raise OrderNotFound()
    line_rows = await session.execute(
        select(order_lines_table).where(lines.order_id == order_id).order_by(lines.product_id)
    )
    entries = await session.execute(
        select(timeline_table).where(timeline.order_id == order_id).order_by(timeline.at)
    )
    return Order.model_validate(
        {
            **row._mapping,
            "items": [OrderLine.model_validate(line) for line in line_rows],
            "timeline": [TimelineEntry.model_validate(entry) for entry in entries],
        }
    )
