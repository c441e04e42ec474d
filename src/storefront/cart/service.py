"""STAND-IN for the cart module (issue 12), on the orders branch only: the cart's tables and the
part of its façade that checkout uses, so that orders can be built and tested before the cart
branch lands. The real cart module replaces this file (and its migration) when merged."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, NUMERIC, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.database import Base

carts_table = Table(
    "carts",
    Base.metadata,
    Column("cart_id", Uuid, primary_key=True),
    Column("user_id", ForeignKey("users.user_id", ondelete="CASCADE"), unique=True),
    Column("token_hash", String(64), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True)),
    CheckConstraint("(user_id IS NULL) <> (token_hash IS NULL)", name="one_owner"),
)

cart_items_table = Table(
    "cart_items",
    Base.metadata,
    Column("item_id", Uuid, primary_key=True),
    Column("cart_id", ForeignKey("carts.cart_id", ondelete="CASCADE"), nullable=False),
    Column("product_id", ForeignKey("products.product_id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("added_unit_price", Numeric(12, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("cart_id", "product_id", name="uq_cart_items_cart_id_product_id"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)


@dataclass(frozen=True)
class CheckoutLine:
    item_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int
    added_unit_price: Decimal


_LINES = text(
    """
    WITH cart AS (SELECT cart_id FROM carts WHERE user_id = :user_id FOR UPDATE)
    SELECT i.item_id, i.product_id, i.quantity, i.added_unit_price
    FROM cart_items AS i JOIN cart ON cart.cart_id = i.cart_id
    ORDER BY i.product_id
    """
)

_CLEAR = text(
    "DELETE FROM cart_items WHERE cart_id IN (SELECT cart_id FROM carts WHERE user_id = :user_id)"
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
    """The user's cart lines, the cart row locked FOR UPDATE until the transaction ends; []
    when there is no cart or it is empty. One statement."""
    rows = await session.execute(_LINES, {"user_id": user_id})
    return [
        CheckoutLine(row.item_id, row.product_id, row.quantity, row.added_unit_price)
        for row in rows
    ]


async def clear_cart(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Delete every line of the user's cart (one statement)."""
    await session.execute(_CLEAR, {"user_id": user_id})


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
