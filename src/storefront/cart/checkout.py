"""What checkout (the orders module) takes from the cart: the user's lines under the cart's
lock, and the lines gone once the order holds them."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY, NUMERIC, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cart.lines import LINES
from storefront.cart.models import cart_items_table as items
from storefront.cart.models import carts_table as carts


@dataclass(frozen=True)
class CheckoutLine:
    item_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int
    added_unit_price: Decimal


_LOCK_CART = select(carts.c.cart_id).where(carts.c.user_id == bindparam("user")).with_for_update()
_CLEAR = delete(items).where(
    items.c.cart_id.in_(select(carts.c.cart_id).where(carts.c.user_id == bindparam("user")))
)

_ACCEPT_PRICES = text(
    """
    UPDATE cart_items AS i SET added_unit_price = p.unit_price, updated_at = now()
    FROM carts AS c, unnest(:product_ids, :unit_prices) AS p(product_id, unit_price)
    WHERE c.user_id = :user_id AND i.cart_id = c.cart_id AND i.product_id = p.product_id
    """
).bindparams(
    bindparam("product_ids", type_=ARRAY(UUID(as_uuid=True))),
    bindparam("unit_prices", type_=ARRAY(NUMERIC(12, 2))),
)


async def lines_for_checkout(session: AsyncSession, user_id: uuid.UUID) -> list[CheckoutLine]:
    """The user's cart lines, the cart row locked FOR UPDATE until the transaction ends (two
    checkouts of one cart run one after the other); [] when there is no cart or it is empty.

    Two statements: the lines are read after the lock is granted. Read in the locking statement
    itself they would come from its snapshot, taken before a checkout it waited for committed,
    and so show the lines that checkout just ordered and cleared."""
    cart_id = await session.scalar(_LOCK_CART, {"user": user_id})
    if cart_id is None:
        return []
    rows = await session.execute(LINES, {"cart_id": cart_id})
    return [CheckoutLine(*row) for row in rows]


async def clear_cart(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Delete every line of the user's cart (one statement)."""
    await session.execute(_CLEAR, {"user": user_id})


async def accept_current_prices(
    session: AsyncSession, user_id: uuid.UUID, unit_prices: Mapping[uuid.UUID, Decimal]
) -> None:
    """The buyer has now been shown these unit prices: they become the lines' added prices,
    so a checkout retried at the same prices goes through (one statement)."""
    ids = sorted(unit_prices)
    await session.execute(
        _ACCEPT_PRICES,
        {"user_id": user_id, "product_ids": ids, "unit_prices": [unit_prices[i] for i in ids]},
    )
