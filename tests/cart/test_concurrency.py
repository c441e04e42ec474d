"""Requests that change one cart at once, on real PostgreSQL: adds of one product make one line
holding every quantity, and the caps hold however the requests interleave."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from tests.cart.conftest import add, add_product, added, stored_carts, user_headers


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"cart_max_lines": 3})


async def test_two_first_adds_of_one_product_at_once_make_one_line_with_both_quantities(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt")

    answers = await asyncio.gather(add(client, shirt, 2, headers), add(client, shirt, 3, headers))

    assert sorted(r.status_code for r in answers) == [200, 201]
    [stored] = await stored_carts(sessions)
    assert stored.lines == {shirt: 5}
    assert {r.json()["cart"]["cart_id"] for r in answers} == {str(stored.cart_id)}
    assert max(r.json()["cart"]["items"][0]["quantity"] for r in answers) == 5


async def test_many_adds_at_once_stop_at_the_stock_and_the_line_limit(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", stock_quantity=7)
    await added(client, shirt, 1, headers)
    others = [await add_product(sessions, f"Product {n}") for n in range(5)]

    answers = await asyncio.gather(
        *(add(client, shirt, 2, headers) for _ in range(5)),
        *(add(client, product_id, 1, headers) for product_id in others),
    )

    codes = [r.status_code for r in answers]
    # 1 + 3 x 2 shirts reach the 7 in stock; 2 more lines reach the limit of 3.
    assert sorted(codes[:5]) == [200, 200, 200, 409, 409]
    assert sorted(codes[5:]) == [201, 201, 409, 409, 409]
    [stored] = await stored_carts(sessions)
    assert stored.lines[shirt] == 7
    assert len(stored.lines) == 3
