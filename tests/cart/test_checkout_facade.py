"""What orders use of the cart: a user's lines read under the cart's lock, so a second checkout
of the same cart waits for the first and then finds what the first left, and the lines cleared
in one statement."""

import asyncio
import uuid
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.cart.service import CheckoutLine, clear_cart, lines_for_checkout
from storefront.core.database import unit_of_work
from storefront.core.statement_count import counted_statements
from tests.cart.conftest import add_product, added, stored_carts, user_headers


async def user_with_cart(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> tuple[uuid.UUID, list[str], list[uuid.UUID]]:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", price="500.00", discount_price="450.00")
    hat = await add_product(sessions, "Hat", price="200.00")
    await added(client, shirt, 2, headers)
    cart = await added(client, hat, 1, headers)
    user_id = (await stored_carts(sessions))[0].user_id
    assert user_id is not None
    return user_id, [line["item_id"] for line in cart["items"]], [shirt, hat]


async def test_checkout_reads_the_users_lines_in_the_order_they_were_added(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user_id, item_ids, (shirt, hat) = await user_with_cart(app, client, sessions)

    async with unit_of_work(app.state.sessions) as session:
        with counted_statements(app) as read:
            lines = await lines_for_checkout(session, user_id)
        nobody = await lines_for_checkout(session, uuid.uuid4())

    assert lines == [
        CheckoutLine(uuid.UUID(item_ids[0]), shirt, 2, Decimal("450.00")),
        CheckoutLine(uuid.UUID(item_ids[1]), hat, 1, Decimal("200.00")),
    ]
    assert read.count == 2
    assert nobody == []


async def test_clearing_empties_the_users_cart_only(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user_id, _, (shirt, _) = await user_with_cart(app, client, sessions)
    other = await user_headers(app, sessions, "jane_roe")
    await added(client, shirt, 1, other)

    async with unit_of_work(app.state.sessions) as session:
        with counted_statements(app) as cleared:
            await clear_cart(session, user_id)

    assert cleared.count == 1
    carts = {cart.user_id: cart.lines for cart in await stored_carts(sessions)}
    assert carts[user_id] == {}
    assert [lines for owner, lines in carts.items() if owner != user_id] == [{shirt: 1}]


async def waiting_for_a_lock(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Until some other connection waits for a row lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        async with sessions() as session:
            if await session.scalar(query):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("no connection is waiting for a lock")


async def test_a_second_checkout_of_a_cart_waits_for_the_first_and_sees_it_cleared(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user_id, _, _ = await user_with_cart(app, client, sessions)

    async def second_checkout() -> list[CheckoutLine]:
        async with unit_of_work(app.state.sessions) as session:
            return await lines_for_checkout(session, user_id)

    async with unit_of_work(app.state.sessions) as first:
        assert len(await lines_for_checkout(first, user_id)) == 2
        second = asyncio.create_task(second_checkout())
        await waiting_for_a_lock(sessions)
        await clear_cart(first, user_id)

    assert await second == []
