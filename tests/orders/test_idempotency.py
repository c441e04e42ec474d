"""Idempotency-Key on checkout (core/idempotency.py), as a client retrying over a bad network
sees it: one order however often it retries, the first answer again, and clear refusals."""

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.idempotency import IdempotencyRecord, purge_expired_keys
from tests.orders.conftest import (
    ORDERS,
    add_buyer,
    add_products,
    checkout,
    fill_cart,
    new_key,
    stock,
    stored_orders,
)


async def keys_stored(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


async def test_a_retry_with_the_same_key_answers_the_first_order_again(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {product: 1})
    key = new_key()

    first = await checkout(client, buyer, key)
    await fill_cart(
        sessions, buyer.user_id, {product: 1}
    )  # a new cart: a second order would use it
    again = await checkout(client, buyer, key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(await stored_orders(sessions)) == 1
    assert await stock(sessions, product) == 4


async def test_concurrent_requests_with_one_key_place_one_order(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {product: 1})
    key = new_key()

    responses = await asyncio.gather(*(checkout(client, buyer, key) for _ in range(6)))

    placed = [r for r in responses if r.status_code == 201]
    busy = [r for r in responses if r.status_code == 409]
    assert placed
    assert len(placed) + len(busy) == 6
    assert all(r.json() == placed[0].json() for r in placed)
    assert all(r.headers["retry-after"] == "1" for r in busy)
    assert len(await stored_orders(sessions)) == 1
    assert await stock(sessions, product) == 4


async def test_the_same_key_with_another_body_is_refused(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    buyer = await add_buyer(app, sessions)
    other_address = await add_buyer(app, sessions, prefix="other")
    await fill_cart(sessions, buyer.user_id, {product: 1})
    key = new_key()
    assert (await checkout(client, buyer, key)).status_code == 201

    reused = await checkout(client, buyer, key, address_id=str(other_address.address_id))

    assert reused.status_code == 422
    assert reused.json()["status"] == "error"
    assert len(await stored_orders(sessions)) == 1


async def test_a_key_is_scoped_to_its_user(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    first = await add_buyer(app, sessions)
    second = await add_buyer(app, sessions, prefix="second")
    for buyer in (first, second):
        await fill_cart(sessions, buyer.user_id, {product: 1})
    key = new_key()

    answers = [await checkout(client, buyer, key) for buyer in (first, second)]

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["order"]["order_id"] != answers[1].json()["order"]["order_id"]


async def test_a_missing_or_malformed_key_is_a_400_on_the_header(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {product: 1})
    body = {"address_id": str(buyer.address_id)}

    missing = await client.post(ORDERS, json=body, headers=buyer.headers)
    short = await checkout(client, buyer, "too-short")
    long = await checkout(client, buyer, "k" * 256)

    for response in (missing, short, long):
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await stored_orders(sessions) == []


async def test_a_failed_checkout_stores_no_key_so_a_retry_runs_again(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    buyer = await add_buyer(app, sessions)
    key = new_key()

    empty = await checkout(client, buyer, key)
    await fill_cart(sessions, buyer.user_id, {product: 1})
    retried = await checkout(client, buyer, key)

    assert empty.status_code == 409
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


async def test_expired_keys_are_purged(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {product: 1})
    assert (await checkout(client, buyer)).status_code == 201
    assert await keys_stored(sessions) == 1

    async with unit_of_work(sessions) as session:
        assert await purge_expired_keys(session) == 0
        await session.execute(
            update(IdempotencyRecord).values(
                expires_at=IdempotencyRecord.expires_at - timedelta(hours=25)
            )
        )
    async with unit_of_work(sessions) as session:
        assert await purge_expired_keys(session) == 1
    assert await keys_stored(sessions) == 0
