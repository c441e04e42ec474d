"""HTTP for the cart: /api/v1/cart, for a user (bearer token) or a guest (X-Cart-Token)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status

from storefront.auth.service import AuthDep, OptionalUser
from storefront.cart import lines
from storefront.cart.owners import Shopper
from storefront.cart.pricing import CartView
from storefront.cart.schemas import (
    Cart,
    CartItemCreate,
    CartItemUpdate,
    CartResponse,
    QuantityConflict,
)
from storefront.core.config import Settings
from storefront.core.database import SessionDep
from storefront.core.http import API_PREFIX
from storefront.core.openapi import RATE_LIMITED, UNAUTHORIZED, documented
from storefront.core.rate_limit import client_ip

CART_TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 (a header name)

_ITEM_NOT_FOUND = (404, "No such line in the caller's cart (whoever else's it may be).")
_NOT_ENOUGH_STOCK: dict[int | str, dict[str, Any]] = {
    409: {
        "model": QuantityConflict,
        "description": "More than the stock (`available` says how many there are), more than "
        "the per-line maximum, or more lines than a cart holds.",
    }
}

# A guest needs no bearer token: OpenAPI's empty requirement makes it optional (FastAPI adds
# this to the bearer requirement the optional-user dependency declares).
_BEARER_OPTIONAL: dict[str, Any] = {"security": [{}]}

router = APIRouter(
    prefix=f"{API_PREFIX}/cart",
    tags=["cart"],
    responses=documented(UNAUTHORIZED),
)


async def _shopper(
    claims: OptionalUser,
    x_cart_token: Annotated[
        str | None,
        Header(
            description="A guest's cart token, from the response that created the cart. With "
            "a bearer token too, that guest cart is merged into the user's."
        ),
    ] = None,
) -> Shopper:
    return Shopper(claims.user_id if claims else None, x_cart_token)


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ShopperDep = Annotated[Shopper, Depends(_shopper)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _body(view: CartView) -> CartResponse:
    return CartResponse(cart=Cart.model_validate(view))


@router.get("", response_model=CartResponse, openapi_extra=_BEARER_OPTIONAL)
async def get_cart(shopper: ShopperDep, settings: SettingsDep, session: SessionDep) -> CartResponse:
    return _body(await lines.get_cart(session, settings, shopper))


@router.post(
    "/items",
    response_model=CartResponse,
    openapi_extra=_BEARER_OPTIONAL,
    responses={
        201: {
            "model": CartResponse,
            "description": "A new line. For a guest without a cart, a new cart: its token is "
            "in the X-Cart-Token header and in `cart.cart_token`.",
        },
        **_NOT_ENOUGH_STOCK,
        **documented((404, "No such product, or it is no longer sold."), RATE_LIMITED),
    },
)
async def add_item(
    body: CartItemCreate,
    *,
    request: Request,
    response: Response,
    shopper: ShopperDep,
    settings: SettingsDep,
    session: SessionDep,
    auth: AuthDep,
) -> CartResponse:
    """Add to the line of the product when the cart has one (200), else a new line (201)."""
    if shopper.user_id is None:  # anyone can create guest carts: not without limit
        await auth.limiter.hit("60/minute", "guest-cart", "ip", client_ip(request))
    added = await lines.add_item(session, settings, shopper, body.product_id, body.quantity)
    if added.line_created:
        response.status_code = status.HTTP_201_CREATED
    if added.cart.cart_token is not None:
        response.headers[CART_TOKEN_HEADER] = added.cart.cart_token
    return _body(added.cart)


@router.patch(
    "/items/{item_id}",
    response_model=CartResponse,
    openapi_extra=_BEARER_OPTIONAL,
    responses={**_NOT_ENOUGH_STOCK, **documented(_ITEM_NOT_FOUND)},
)
async def update_item(
    item_id: uuid.UUID,
    body: CartItemUpdate,
    shopper: ShopperDep,
    settings: SettingsDep,
    session: SessionDep,
) -> CartResponse:
    """Set the line's quantity."""
    return _body(await lines.update_item(session, settings, shopper, item_id, body.quantity))


@router.delete(
    "/items/{item_id}",
    response_model=CartResponse,
    responses=documented(_ITEM_NOT_FOUND),
    openapi_extra=_BEARER_OPTIONAL,
)
async def remove_item(
    item_id: uuid.UUID, shopper: ShopperDep, settings: SettingsDep, session: SessionDep
) -> CartResponse:
    return _body(await lines.remove_item(session, settings, shopper, item_id))


@router.delete("", response_model=CartResponse, openapi_extra=_BEARER_OPTIONAL)
async def empty_cart(
    shopper: ShopperDep, settings: SettingsDep, session: SessionDep
) -> CartResponse:
    """Remove every line (the cart, and a guest's token, stay)."""
    return _body(await lines.clear(session, settings, shopper))
