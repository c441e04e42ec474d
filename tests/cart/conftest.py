"""Cart tests go through HTTP as a user or a guest would, with products written by the catalog's
factories, and read outcomes from the responses and from the cart's tables."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import Role
from storefront.cart.models import cart_items_table as items
from storefront.cart.models import carts_table as carts
from storefront.catalog.models import products_table as products
from storefront.core.database import unit_of_work
from tests.catalog.conftest import add_category, add_product, user_headers

__all__ = ["add_product", "user_headers"]

CART = "/api/v1/cart"
ITEMS = f"{CART}/items"


@pytest.fixture(autouse=True)
async def _category(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_category(sessions, "C100", "Clothing")


@dataclass(frozen=True)
class StoredCart:
    cart_id: uuid.UUID
    user_id: uuid.UUID | None
    token_hash: str | None
    lines: dict[uuid.UUID, int]  # product_id -> quantity


async def add(
    client: httpx.AsyncClient,
    product_id: uuid.UUID | str,
    quantity: Any = 1,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        ITEMS, json={"product_id": str(product_id), "quantity": quantity}, headers=headers
    )


async def added(
    client: httpx.AsyncClient,
    product_id: uuid.UUID | str,
    quantity: int = 1,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The cart after a successful add."""
    response = await add(client, product_id, quantity, headers)
    assert response.status_code in {200, 201}, response.text
    cart: dict[str, Any] = response.json()["cart"]
    return cart


def line_of(cart: dict[str, Any], product_id: uuid.UUID) -> dict[str, Any]:
    line: dict[str, Any] = next(i for i in cart["items"] if i["product_id"] == str(product_id))
    return line


async def guest_cart(client: httpx.AsyncClient, product_id: uuid.UUID, quantity: int = 1) -> str:
    """A new guest cart holding the product; its token."""
    response = await add(client, product_id, quantity)
    assert response.status_code == 201, response.text
    return response.headers["X-Cart-Token"]


async def stored_carts(sessions: async_sessionmaker[AsyncSession]) -> list[StoredCart]:
    async with sessions() as session:
        cart_rows = (await session.execute(select(carts).order_by(carts.c.created_at))).all()
        line_rows = (await session.execute(select(items))).all()
    return [
        StoredCart(
            row.cart_id,
            row.user_id,
            row.token_hash,
            {line.product_id: line.quantity for line in line_rows if line.cart_id == row.cart_id},
        )
        for row in cart_rows
    ]


async def stored_lines(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[Any, ...]]:
    """Every cart line as (cart_id, product_id, quantity, added_unit_price), in a fixed order."""
    async with sessions() as session:
        rows = await session.execute(
            select(
                items.c.cart_id, items.c.product_id, items.c.quantity, items.c.added_unit_price
            ).order_by(items.c.item_id)
        )
        return [tuple(row) for row in rows]


async def set_product(
    sessions: async_sessionmaker[AsyncSession], product_id: uuid.UUID, **values: Any
) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(products).where(products.c.product_id == product_id).values(**values)
        )


async def admin_headers(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    return await user_headers(app, sessions, "the_admin", Role.ADMIN)
