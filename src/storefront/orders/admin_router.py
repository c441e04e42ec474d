"""Administrators: every order, filtered, and status changes with a note (and the tracking
number when an order ships)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from storefront.auth.service import AdminUser
from storefront.core.database import SessionDep
from storefront.core.errors import InvalidInput
from storefront.core.http import API_PREFIX
from storefront.core.openapi import FORBIDDEN, UNAUTHORIZED, admin_operation_id, documented
from storefront.core.pagination import PageDep, Pagination
from storefront.core.schemas import FieldError
from storefront.orders import history, transitions
from storefront.orders.history import OrderFilters
from storefront.orders.models import OrderStatus
from storefront.orders.schemas import (
    AdminOrderList,
    AdminOrderSummary,
    OrderResponse,
    StatusChange,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/admin/orders",
    tags=["orders admin"],
    responses=documented(UNAUTHORIZED, FORBIDDEN),
    generate_unique_id_function=admin_operation_id,
)

EMPTY_RANGE = FieldError(field="created_to", message="created_to must be after created_from.")


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


async def _filters(
    status: Annotated[OrderStatus | None, Query()] = None,
    user_id: Annotated[uuid.UUID | None, Query()] = None,
    created_from: Annotated[
        datetime | None,
        Query(description="Orders created at or after this time (UTC if no offset)."),
    ] = None,
    created_to: Annotated[
        datetime | None, Query(description="Orders created before this time (UTC if no offset).")
    ] = None,
) -> OrderFilters:
    filters = OrderFilters(user_id, status, _utc(created_from), _utc(created_to))
    if filters.created_from and filters.created_to and filters.created_to <= filters.created_from:
        raise InvalidInput(errors=[EMPTY_RANGE])
    return filters


@router.get("", response_model=AdminOrderList)
async def list_orders(
    _: AdminUser,
    session: SessionDep,
    page: PageDep,
    filters: Annotated[OrderFilters, Depends(_filters)],
) -> AdminOrderList:
    """Every user's orders, newest first."""
    rows, total = await history.list_orders(session, filters, page)
    return AdminOrderList(
        orders=[AdminOrderSummary.model_validate(row) for row in rows],
        pagination=Pagination.of(page, total),
    )


@router.post(
    "/{order_id}/status",
    response_model=OrderResponse,
    responses=documented(
        (404, "Order not found."),
        (409, "The order's status does not allow this change (the message names both)."),
    ),
)
async def change_status(
    order_id: uuid.UUID, body: StatusChange, admin: AdminUser, session: SessionDep
) -> OrderResponse:
    """Move an order on: processing, shipped (with `tracking_number`), delivered, or cancelled
    (stock goes back; money already paid is refunded)."""
    await transitions.admin_change_status(
        session,
        admin.user_id,
        order_id,
        OrderStatus(body.status),
        note=body.note,
        tracking_number=body.tracking_number,
    )
    return OrderResponse(order=await history.get_order(session, order_id))
