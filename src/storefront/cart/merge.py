"""A guest who logs in (or calls the cart as a user with the guest's token) keeps what they
added: the guest cart merges into the user's, in the caller's transaction, and is deleted.
A retried login finds the token unknown and merges nothing twice."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cart.models import cart_items_table as items
from storefront.cart.models import carts_table as carts
from storefront.cart.owners import LIVE_GUEST_CART, Shopper, token_hash
from storefront.catalog.service import ProductSnapshot, product_snapshots
from storefront.core.config import Settings

_FIND_GUEST_CART = select(carts.c.cart_id).where(LIVE_GUEST_CART)
_ENSURE_USER_CART = (
    insert(carts)
    .values(cart_id=bindparam("new_cart_id"), user_id=bindparam("user"))
    .on_conflict_do_nothing(index_elements=[carts.c.user_id])
)
# Both carts in cart_id order, as every merge takes them: merges never wait on each other in
# a circle. A guest cart merged meanwhile by another request is gone by the time its lock is
# granted, and so missing here.
_LOCK_BOTH = (
    select(carts.c.cart_id, carts.c.user_id)
    .where(or_(carts.c.cart_id == bindparam("guest"), carts.c.user_id == bindparam("user")))
    .order_by(carts.c.cart_id)
    .with_for_update()
)
_BOTH_LINES = (
    select(
        items.c.cart_id,
        items.c.product_id,
        items.c.quantity,
        items.c.added_unit_price,
        items.c.currency,
        items.c.created_at,
    )
    .where(items.c.cart_id.in_(bindparam("carts", expanding=True)))
    .order_by(items.c.created_at, items.c.item_id)
)
_upsert = insert(items)
_WRITE_LINES = _upsert.on_conflict_do_update(
    constraint="uq_cart_items_cart_id_product_id",
    set_={"quantity": _upsert.excluded.quantity, "updated_at": func.now()},
)
_DELETE_CART = delete(carts).where(carts.c.cart_id == bindparam("guest"))


@dataclass(frozen=True)
class _Line:
    product_id: uuid.UUID
    quantity: int
    added_unit_price: Decimal
    currency: str
    created_at: datetime


async def settle_shopper(session: AsyncSession, settings: Settings, shopper: Shopper) -> Shopper:
    """The shopper a cart call works for: a user who also sent a guest cart's token has that
    cart merged into theirs first."""
    if shopper.user_id is None or shopper.cart_token is None:
        return shopper
    await merge_guest_cart(session, settings, shopper.user_id, shopper.cart_token)
    return Shopper(shopper.user_id, None)


async def merge_guest_cart(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, cart_token: str
) -> None:
    """Move the guest cart of `cart_token` into the user's cart, then delete it. Quantities of
    a product in both add up, capped by the per-line maximum and the live stock, though never
    below what either cart held (a line already above the stock keeps its quantity and is
    flagged). Lines past the cart's line limit are not taken. An unknown or expired token
    does nothing."""
    guest_id = await session.scalar(_FIND_GUEST_CART, {"owner": token_hash(cart_token)})
    if guest_id is None:
        return
    await session.execute(_ENSURE_USER_CART, {"new_cart_id": uuid.uuid4(), "user": user_id})
    locked = (await session.execute(_LOCK_BOTH, {"guest": guest_id, "user": user_id})).all()
    user_cart = next((row.cart_id for row in locked if row.user_id == user_id), None)
    if user_cart is None or all(row.cart_id != guest_id for row in locked):
        return
    guest, mine = await _lines(session, guest_id, user_cart)
    products = await product_snapshots(session, guest, settings.currency)
    rows = _merged(settings, user_cart, guest, mine, products)
    if rows:
        await session.execute(_WRITE_LINES, rows)
    await session.execute(_DELETE_CART, {"guest": guest_id})


async def _lines(
    session: AsyncSession, guest_id: uuid.UUID, user_cart: uuid.UUID
) -> tuple[dict[uuid.UUID, _Line], dict[uuid.UUID, _Line]]:
    """Each cart's lines by product, in the order they were added."""
    rows = await session.execute(_BOTH_LINES, {"carts": [guest_id, user_cart]})
    guest: dict[uuid.UUID, _Line] = {}
    mine: dict[uuid.UUID, _Line] = {}
    for row in rows:
        lines = guest if row.cart_id == guest_id else mine
        lines[row.product_id] = _Line(*row[1:])
    return guest, mine


def _merged(
    settings: Settings,
    user_cart: uuid.UUID,
    guest: Mapping[uuid.UUID, _Line],
    mine: Mapping[uuid.UUID, _Line],
    products: Mapping[uuid.UUID, ProductSnapshot],
) -> list[dict[str, object]]:
    """The user's cart lines to write: the ones whose quantity grows, and the new ones while
    the cart has room."""
    room = settings.cart_max_lines - len(mine)
    rows: list[dict[str, object]] = []
    for product_id, line in guest.items():
        product = products[product_id]
        stock = product.stock if product.active else 0
        cap = min(settings.cart_max_line_quantity, stock)
        held = mine.get(product_id)
        if held is not None:
            quantity = max(min(held.quantity + line.quantity, cap), held.quantity, line.quantity)
            if quantity != held.quantity:
                rows.append(_row(user_cart, product_id, quantity, held))
        elif room > 0:
            room -= 1
            rows.append(_row(user_cart, product_id, line.quantity, line))
    return rows


def _row(
    cart_id: uuid.UUID, product_id: uuid.UUID, quantity: int, line: _Line
) -> dict[str, object]:
    return {
        "item_id": uuid.uuid4(),
        "cart_id": cart_id,
        "product_id": product_id,
        "quantity": quantity,
        "added_unit_price": line.added_unit_price,
        "currency": line.currency,
        "created_at": line.created_at,
    }
