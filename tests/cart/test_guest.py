"""Guest carts: the first add creates the cart and hands out its token once, the token (stored
hashed) finds the cart again, unknown and expired tokens find nothing, and expired carts are
removed by the hourly job."""

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.cart.models import carts_table as carts
from storefront.cart.tasks import purge_expired_guest_carts
from storefront.core.database import unit_of_work
from storefront.tasks import periodic_jobs
from tests.cart.conftest import (
    CART,
    ITEMS,
    add,
    add_product,
    added,
    guest_cart,
    line_of,
    stored_carts,
    stored_lines,
    user_headers,
)
from tests.cart.test_lines import EMPTY


async def expiry_of(sessions: async_sessionmaker[AsyncSession], token: str) -> datetime:
    async with sessions() as session:
        expires_at = await session.scalar(
            select(carts.c.expires_at).where(carts.c.token_hash == sha256(token))
        )
    assert isinstance(expires_at, datetime)
    return expires_at


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def expire(sessions: async_sessionmaker[AsyncSession], token: str) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(carts)
            .where(carts.c.token_hash == sha256(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_a_guests_first_add_creates_a_cart_and_returns_its_token_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    hat = await add_product(sessions, "Hat")

    first = await add(client, shirt, 2)

    assert first.status_code == 201
    token = first.headers["X-Cart-Token"]
    assert len(token) >= 43
    cart = first.json()["cart"]
    assert cart["cart_token"] == token
    [stored] = await stored_carts(sessions)
    assert (stored.user_id, stored.token_hash) == (None, sha256(token))
    assert str(stored.cart_id) == cart["cart_id"]

    second = await add(client, hat, 1, {"X-Cart-Token": token})

    assert second.status_code == 201
    assert "X-Cart-Token" not in second.headers
    assert "cart_token" not in second.json()["cart"]
    assert second.json()["cart"]["cart_id"] == cart["cart_id"]
    seen = (await client.get(CART, headers={"X-Cart-Token": token})).json()["cart"]
    assert [line["name"] for line in seen["items"]] == ["Shirt", "Hat"]
    assert "cart_token" not in seen
    assert [c.lines for c in await stored_carts(sessions)] == [{shirt: 2, hat: 1}]


async def test_a_guest_changes_and_empties_their_own_cart_only(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    mine = await guest_cart(client, shirt, 1)
    theirs = await guest_cart(client, shirt, 3)
    their_item = (await client.get(CART, headers={"X-Cart-Token": theirs})).json()["cart"]["items"][
        0
    ]["item_id"]

    refused = [
        await client.patch(
            f"{ITEMS}/{their_item}", json={"quantity": 1}, headers={"X-Cart-Token": mine}
        ),
        await client.delete(f"{ITEMS}/{their_item}", headers={"X-Cart-Token": mine}),
    ]
    changed = await client.patch(
        f"{ITEMS}/{their_item}", json={"quantity": 2}, headers={"X-Cart-Token": theirs}
    )
    emptied = await client.delete(CART, headers={"X-Cart-Token": mine})

    assert [r.status_code for r in refused] == [404, 404]
    assert line_of(changed.json()["cart"], shirt)["quantity"] == 2
    assert emptied.json()["cart"]["items"] == []
    assert sorted(sum(c.lines.values()) for c in await stored_carts(sessions)) == [0, 2]


async def test_an_unknown_token_finds_no_cart_and_a_write_with_it_starts_a_new_one(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    unknown = {"X-Cart-Token": "made-up"}

    seen = await client.get(CART, headers=unknown)
    emptied = await client.delete(CART, headers=unknown)
    assert seen.json()["cart"] == EMPTY
    assert emptied.json()["cart"] == EMPTY
    assert await stored_carts(sessions) == []

    response = await add(client, shirt, 1, unknown)

    assert response.status_code == 201
    token = response.headers["X-Cart-Token"]
    assert token != "made-up"
    assert [c.token_hash for c in await stored_carts(sessions)] == [sha256(token)]


async def test_each_write_keeps_a_guest_cart_for_another_full_period_and_reads_do_not(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    token = await guest_cart(client, shirt)
    assert await expiry_of(sessions, token) > datetime.now(UTC) + timedelta(days=29)
    async with unit_of_work(sessions) as session:
        soon = datetime.now(UTC) + timedelta(days=1)
        await session.execute(
            update(carts).where(carts.c.token_hash == sha256(token)).values(expires_at=soon)
        )

    await client.get(CART, headers={"X-Cart-Token": token})
    assert await expiry_of(sessions, token) == soon
    await added(client, shirt, 1, {"X-Cart-Token": token})

    assert await expiry_of(sessions, token) > datetime.now(UTC) + timedelta(days=29)


async def test_an_expired_guest_cart_is_no_ones_and_the_hourly_job_removes_it(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    expired = await guest_cart(client, shirt, 2)
    live = await guest_cart(client, shirt, 1)
    user = await user_headers(app, sessions)
    await added(client, shirt, 3, user)
    await expire(sessions, expired)

    seen = await client.get(CART, headers={"X-Cart-Token": expired})
    assert seen.json()["cart"] == EMPTY
    response = await add(client, shirt, 1, {"X-Cart-Token": expired})
    assert response.headers["X-Cart-Token"] not in {expired, live}

    async with unit_of_work(sessions) as session:
        await purge_expired_guest_carts(session)

    left = await stored_carts(sessions)
    assert sha256(expired) not in {c.token_hash for c in left}
    assert sorted(c.lines[shirt] for c in left) == [1, 1, 3]
    assert len(await stored_lines(sessions)) == 3  # the expired cart's lines went with it
    jobs = periodic_jobs(app.state.settings, app.state.payments)
    [job] = [job for job in jobs if job.run is purge_expired_guest_carts]
    assert job.every == timedelta(hours=1)
