"""HTTP for the caller's own orders: checkout, history, one order, cancellation."""

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status
from starlette.responses import JSONResponse

from storefront.auth.service import AuthDep, CurrentUser
from storefront.core import idempotency
from storefront.core.database import SessionDep
from storefront.core.http import API_PREFIX
from storefront.core.idempotency import KEY_PARAMETER, IdempotencyKey
from storefront.core.openapi import UNAUTHORIZED, documented
from storefront.core.pagination import PageDep, Pagination
from storefront.orders import history, transitions
from storefront.orders.checkout import CheckoutRules, place_order
from storefront.orders.history import OrderFilters
from storefront.orders.models import OrderStatus
from storefront.orders.schemas import OrderCreate, OrderList, OrderResponse, OrderSummary

_NOT_FOUND = (404, "Order not found: there is none with this id, or it is another user's.")
_CHECKOUT_CONFLICT = (
    409,
    "`code` says which: `empty_cart`; `price_changed` (`items`: product_id, added_unit_price, "
    "unit_price; the cart now holds the new prices, so retrying accepts them); "
    "`insufficient_stock` (`items`: product_id, requested, available, every short line); "
    "`too_many_pending_orders`; or the Idempotency-Key's first request is still running "
    "(`Retry-After`).",
)
_KEY_REUSED = (422, "The Idempotency-Key was used before with a different body.")
_ILLEGAL = (409, "The order's status does not allow this change (the message names both).")

router = APIRouter(
    prefix=f"{API_PREFIX}/orders", tags=["orders"], responses=documented(UNAUTHORIZED)
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderResponse,
    responses=documented((404, "Address not found."), _CHECKOUT_CONFLICT, _KEY_REUSED),
    openapi_extra=KEY_PARAMETER,
)
async def create_order(
    claims: CurrentUser,
    key: IdempotencyKey,
    body: OrderCreate,
    session: SessionDep,
    auth: AuthDep,
) -> OrderResponse | JSONResponse:
    """Check out the caller's cart. A retry with the same `Idempotency-Key` answers the first
    response again (with `Idempotent-Replayed: true`) and places nothing."""
    settings = auth.settings
    call = await idempotency.begin(
        session,
        user_id=claims.user_id,
        route="create_order",
        key=key,
        body=body.model_dump(mode="json"),
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )
    if call.replay is not None:
        return call.replay
    rules = CheckoutRules(
        currency=settings.currency,
        max_pending_orders=settings.max_pending_orders,
        payment_window=timedelta(minutes=settings.order_payment_minutes),
    )
    response = OrderResponse(
        order=await place_order(session, claims.user_id, body.address_id, rules)
    )
    call.store(status.HTTP_201_CREATED, response)
    return response


@router.get("", response_model=OrderList)
async def list_orders(
    claims: CurrentUser,
    session: SessionDep,
    page: PageDep,
    status: Annotated[OrderStatus | None, Query(description="Only orders in this status.")] = None,
) -> OrderList:
    """The caller's orders, newest first."""
    filters = OrderFilters(user_id=claims.user_id, status=status)
    rows, total = await history.list_orders(session, filters, page)
    return OrderList(
        orders=[OrderSummary.model_validate(row) for row in rows],
        pagination=Pagination.of(page, total),
    )


@router.get("/{order_id}", response_model=OrderResponse, responses=documented(_NOT_FOUND))
async def get_order(order_id: uuid.UUID, claims: CurrentUser, session: SessionDep) -> OrderResponse:
    return OrderResponse(order=await history.get_order(session, order_id, owner=claims.user_id))


@router.post(
    "/{order_id}/cancel",
    response_model=OrderResponse,
    responses=documented(_NOT_FOUND, _ILLEGAL),
)
async def cancel_order(
    order_id: uuid.UUID, claims: CurrentUser, session: SessionDep
) -> OrderResponse:
    """Cancel an order that has not shipped: its stock goes back, and money already paid is
    refunded."""
    await transitions.cancel_order(session, claims.user_id, order_id)
    return OrderResponse(order=await history.get_order(session, order_id, owner=claims.user_id))
