"""The catalog's stock API for the cart and orders: snapshots, all-or-nothing reservations that
report every short line, releases, no overselling under concurrency, and the cache seeing a
product sell out (and come back) without being flushed by every sale."""

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog import service as catalog
from storefront.catalog.models import products_table as products
from storefront.core.database import unit_of_work
from tests.catalog.conftest import add_category, add_product, counted_statements


@pytest.fixture(autouse=True)
async def _category(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_category(sessions, "C100", "Clothing")


async def stock_of(sessions: async_sessionmaker[AsyncSession], product_id: uuid.UUID) -> int:
    async with sessions() as session:
        stock = await session.scalar(
            select(products.c.stock_quantity).where(products.c.product_id == product_id)
        )
    assert stock is not None
    return int(stock)


async def reserve(app: FastAPI, lines: dict[uuid.UUID, int]) -> catalog.Reservation:
    async with unit_of_work(app.state.sessions) as session:
        return await catalog.reserve_stock(session, lines)


async def test_snapshots_come_in_one_statement_with_live_prices_and_stock(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt", price="500.00", discount_price="450.00")
    hat = await add_product(sessions, "Hat", price="200.00", stock_quantity=0, is_active=False)
    unknown = uuid.uuid4()
    async with unit_of_work(app.state.sessions) as session:
        with counted_statements(app) as log:
            snapshots = await catalog.product_snapshots(session, [shirt, hat, unknown], "INR")
    assert log.count == 1
    assert set(snapshots) == {shirt, hat}
    assert str(snapshots[shirt].unit_price) == "450.00"
    assert snapshots[shirt].stock == 10
    assert snapshots[shirt].currency == "INR"
    assert (snapshots[hat].active, snapshots[hat].stock, str(snapshots[hat].unit_price)) == (
        False,
        0,
        "200.00",
    )


async def test_a_reservation_takes_every_line_in_one_statement(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ids = [await add_product(sessions, f"Item {n}", stock_quantity=5) for n in range(5)]
    async with unit_of_work(app.state.sessions) as session:
        with counted_statements(app) as log:
            reservation = await catalog.reserve_stock(session, dict.fromkeys(ids, 2))
    assert log.count == 1
    assert reservation.reserved
    assert [await stock_of(sessions, product_id) for product_id in ids] == [3] * 5


async def test_a_short_line_takes_nothing_and_every_short_line_is_reported(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    plenty = await add_product(sessions, "Plenty", stock_quantity=10)
    few = await add_product(sessions, "Few", stock_quantity=1)
    retired = await add_product(sessions, "Retired", stock_quantity=9, is_active=False)
    unknown = uuid.uuid4()
    reservation = await reserve(app, {plenty: 3, few: 2, retired: 1, unknown: 1})
    assert not reservation.reserved
    assert sorted(reservation.short, key=lambda line: str(line.product_id)) == sorted(
        [
            catalog.ShortLine(few, 2, 1),
            catalog.ShortLine(retired, 1, 0),
            catalog.ShortLine(unknown, 1, 0),
        ],
        key=lambda line: str(line.product_id),
    )
    assert (await stock_of(sessions, plenty), await stock_of(sessions, few)) == (10, 1)


async def test_concurrent_reservations_never_oversell(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    last_ones = await add_product(sessions, "Last ones", stock_quantity=5)
    results = await asyncio.gather(*(reserve(app, {last_ones: 1}) for _ in range(20)))
    assert sum(result.reserved for result in results) == 5
    assert await stock_of(sessions, last_ones) == 0
    assert {line.available for result in results for line in result.short} <= {0, 1, 2, 3, 4}


async def test_reservations_of_the_same_products_in_any_order_do_not_deadlock(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first = await add_product(sessions, "First", stock_quantity=100)
    second = await add_product(sessions, "Second", stock_quantity=100)
    forward = {first: 1, second: 1}
    backward = {second: 1, first: 1}
    results = await asyncio.gather(
        *(reserve(app, forward if n % 2 else backward) for n in range(30))
    )
    assert all(result.reserved for result in results)
    assert (await stock_of(sessions, first), await stock_of(sessions, second)) == (70, 70)


async def test_a_release_puts_the_quantities_back(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt", stock_quantity=4)
    hat = await add_product(sessions, "Hat", stock_quantity=0)
    async with unit_of_work(app.state.sessions) as session:
        await catalog.release_stock(session, {shirt: 2, hat: 3})
    assert (await stock_of(sessions, shirt), await stock_of(sessions, hat)) == (6, 3)


async def test_the_database_refuses_negative_stock_whatever_the_code_does(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shirt = await add_product(sessions, "Shirt", stock_quantity=1)
    with pytest.raises(IntegrityError, match="stock_not_negative"):
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(products)
                .where(products.c.product_id == shirt)
                .values(stock_quantity=products.c.stock_quantity - 2)
            )


async def test_sales_leave_the_cache_alone_until_a_product_sells_out_or_returns(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt", stock_quantity=3)
    first = await client.get(f"/api/v1/products/{shirt}")
    assert first.json()["product"]["in_stock"] is True

    assert (await reserve(app, {shirt: 2})).reserved
    cached = await client.get(f"/api/v1/products/{shirt}")
    # Served from the same cache entry: a sale that leaves stock did not flush the catalog.
    assert cached.headers["etag"] == first.headers["etag"]
    assert cached.json()["product"]["stock_quantity"] == 3

    assert (await reserve(app, {shirt: 1})).reserved
    sold_out = await client.get(f"/api/v1/products/{shirt}")
    assert sold_out.json()["product"]["in_stock"] is False
    assert sold_out.json()["product"]["stock_quantity"] == 0

    async with unit_of_work(app.state.sessions) as session:
        await catalog.release_stock(session, {shirt: 1})
    back = await client.get(f"/api/v1/products/{shirt}")
    assert back.json()["product"]["in_stock"] is True


async def test_a_failed_reservation_does_not_invalidate_the_cache(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt", stock_quantity=1)
    first = await client.get(f"/api/v1/products/{shirt}")

    async def reserve_then_fail() -> None:
        async with unit_of_work(app.state.sessions) as session:
            assert (await catalog.reserve_stock(session, {shirt: 1})).reserved
            raise RuntimeError("checkout failed after the reservation")

    with pytest.raises(RuntimeError):
        await reserve_then_fail()
    again = await client.get(f"/api/v1/products/{shirt}")
    assert again.headers["etag"] == first.headers["etag"]
    assert await stock_of(sessions, shirt) == 1
