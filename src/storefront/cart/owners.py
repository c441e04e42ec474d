"""Whose cart a request works on, and that cart's row locked for a write.

A cart belongs to a user, or to a guest who holds its token (opaque, sent in `X-Cart-Token`,
stored as its SHA-256). Every write locks the cart row first, so writes to one cart (two tabs
adding at once, a merge, a checkout) run one after the other; the lines they then read are
current, since each statement reads what was committed before it started."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Interval, bindparam, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cart.models import carts_table as carts


@dataclass(frozen=True)
class Shopper:
    """The caller: a user (bearer token), a guest (cart token), both (a guest who logged in:
    the guest cart merges into the user's), or neither."""

    user_id: uuid.UUID | None
    cart_token: str | None


@dataclass(frozen=True)
class LockedCart:
    cart_id: uuid.UUID
    # The cart has just been created (so it has no lines yet).
    created: bool
    # For a guest cart just created: its token, shown to the guest once.
    new_token: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_TTL = bindparam("ttl", type_=Interval)

_CREATE_USER_CART = (
    insert(carts)
    .values(cart_id=bindparam("new_cart_id"), user_id=bindparam("owner"))
    .on_conflict_do_update(index_elements=[carts.c.user_id], set_={"updated_at": func.now()})
    .returning(carts.c.cart_id)
)
_LOCK_USER_CART = (
    update(carts)
    .where(carts.c.user_id == bindparam("owner"))
    .values(updated_at=func.now())
    .returning(carts.c.cart_id)
)
# An expired guest cart is no one's: it waits for the expiry job.
LIVE_GUEST_CART = (carts.c.token_hash == bindparam("owner")) & (carts.c.expires_at > func.now())
# Each write keeps a guest cart for another full period.
_LOCK_GUEST_CART = (
    update(carts)
    .where(LIVE_GUEST_CART)
    .values(updated_at=func.now(), expires_at=func.now() + _TTL)
    .returning(carts.c.cart_id)
)
_CREATE_GUEST_CART = insert(carts).values(
    cart_id=bindparam("new_cart_id"), token_hash=bindparam("owner"), expires_at=func.now() + _TTL
)


async def lock_cart(
    session: AsyncSession, shopper: Shopper, guest_ttl: timedelta
) -> LockedCart | None:
    """The shopper's cart, its row locked until the transaction ends; None when there is none.
    `shopper` is a user or a guest, not both (merge first)."""
    if shopper.user_id is not None:
        cart_id = await session.scalar(_LOCK_USER_CART, {"owner": shopper.user_id})
    elif shopper.cart_token is not None:
        values = {"owner": token_hash(shopper.cart_token), "ttl": guest_ttl}
        cart_id = await session.scalar(_LOCK_GUEST_CART, values)
    else:
        cart_id = None
    return None if cart_id is None else LockedCart(cart_id, created=False)


async def lock_or_create_cart(
    session: AsyncSession, shopper: Shopper, guest_ttl: timedelta
) -> LockedCart:
    """As lock_cart, with a new cart when there is none: for a guest whose token is missing,
    unknown or expired, a new cart with a new token."""
    if shopper.user_id is not None:
        # One statement however many requests of the user race to create it: the others wait
        # on the unique user_id, then lock the row the first one inserted.
        new_id = uuid.uuid4()
        values = {"new_cart_id": new_id, "owner": shopper.user_id}
        cart_id = (await session.execute(_CREATE_USER_CART, values)).scalar_one()
        return LockedCart(cart_id, created=cart_id == new_id)
    cart = await lock_cart(session, shopper, guest_ttl)
    if cart is not None:
        return cart
    token = secrets.token_urlsafe(32)
    new_id = uuid.uuid4()
    await session.execute(
        _CREATE_GUEST_CART, {"new_cart_id": new_id, "owner": token_hash(token), "ttl": guest_ttl}
    )
    return LockedCart(new_id, created=True, new_token=token)
