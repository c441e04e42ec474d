"""The statement budget (DESIGN.md): adding to the cart and reading it send at most 5 SQL
statements each, the bearer token's check included."""

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.statement_count import counted_statements
from tests.cart.conftest import CART, add, add_product, user_headers


async def test_adding_and_reading_stay_within_five_statements(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt")
    hat = await add_product(sessions, "Hat")

    with counted_statements(app) as first_line:
        assert (await add(client, shirt, 1, headers)).status_code == 201
    with counted_statements(app) as second_product:
        assert (await add(client, hat, 1, headers)).status_code == 201
    with counted_statements(app) as more_of_one:
        assert (await add(client, hat, 1, headers)).status_code == 200
    with counted_statements(app) as read:
        response = await client.get(CART, headers=headers)
    assert len(response.json()["cart"]["items"]) == 2

    # The token's check; the cart created (and locked); the product; the line.
    assert first_line.count == 4, first_line.statements
    # The token's check; the cart locked; its lines; their products; the line.
    assert second_product.count == 5, second_product.statements
    assert more_of_one.count == 5, more_of_one.statements
    # The token's check; the cart with its lines; their products.
    assert read.count == 3, read.statements
