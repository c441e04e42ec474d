"""Keyset pages (`cursor`) and deep page numbers (started after an anchor): the same rows as
LIMIT/OFFSET, in every sort, ties and unrated products included."""

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.listing import ANCHOR_EVERY, ProductFilters, ProductSort, page_statement
from storefront.catalog.models import products_table
from storefront.core.database import unit_of_work
from storefront.core.pagination import PageParams
from storefront.core.reads import SessionReader
from tests.catalog.conftest import BASE_TIME, add_category, add_product, counted_statements

SORTS = ["newest", "price_asc", "price_desc", "rating"]


async def add_products(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """`count` products in one statement, with many ties: 7 creation times, 5 prices, and
    ratings that repeat (a third of them unrated)."""
    rows = []
    for n in range(count):
        product_id = uuid.uuid4()
        rated = n % 3 != 0
        rows.append(
            {
                "product_id": product_id,
                "category_id": "C100" if n % 2 else "C200",
                "slug": f"product-{n}",
                "name": f"Product {n}",
                "brand": "Acme" if n % 4 else "Zed",
                "price": Decimal(100 + 10 * (n % 5)),
                "stock_quantity": n % 2,
                "rating_sum": (n % 4 + 1) * (n % 2 + 1) if rated else 0,
                "rating_count": n % 2 + 1 if rated else 0,
                "created_at": BASE_TIME - timedelta(days=n % 7),
                "updated_at": BASE_TIME,
            }
        )
    async with unit_of_work(sessions) as session:
        await session.execute(insert(products_table), rows)


@pytest.fixture
async def many(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_category(sessions, "C100", "Clothing")
    await add_category(sessions, "C200", "Grocery")
    await add_products(sessions, 2 * ANCHOR_EVERY + 50)


async def _page(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/products", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [product["product_id"] for product in body["products"]]


@pytest.mark.usefixtures("many")
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("filters", [{}, {"category_id": "C100", "in_stock": "true"}])
async def test_following_cursors_lists_every_page_number_in_turn(
    client: httpx.AsyncClient, sort: str, filters: dict[str, str]
) -> None:
    size = 45
    by_number = []
    page = 1
    while True:
        body = await _page(client, sort=sort, page=page, page_size=size, **filters)
        if not body["products"]:
            break
        by_number.append(_ids(body))
        page += 1

    by_cursor = []
    body = await _page(client, sort=sort, page_size=size, **filters)
    while True:
        by_cursor.append(_ids(body))
        assert body["pagination"]["page"] == len(by_cursor)
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            break
        body = await _page(client, sort=sort, page_size=size, cursor=cursor, **filters)

    assert by_cursor == by_number
    assert len({i for ids in by_cursor for i in ids}) == body["pagination"]["total_items"]


@pytest.mark.usefixtures("catalog_of_three")
async def test_a_search_by_relevance_pages_by_cursor(client: httpx.AsyncClient) -> None:
    first = await _page(client, q="shirt", page_size=1)
    second = await _page(client, q="shirt", page_size=1, cursor=first["pagination"]["next_cursor"])
    third = await _page(client, q="shirt", page_size=1, page=3)

    everything = await _page(client, q="shirt")
    assert _ids(first) + _ids(second) == _ids(everything)[:2]
    assert second["pagination"]["page"] == 2
    assert third["products"] == [] or _ids(third) == _ids(everything)[2:3]


@pytest.fixture
async def catalog_of_three(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_category(sessions, "C100", "Clothing")
    await add_product(sessions, "Shirt", description="plain")
    await add_product(sessions, "Oxford Shirt", age_days=1)
    await add_product(sessions, "Tee", description="goes with a shirt", age_days=2)


async def test_a_cursor_page_does_not_repeat_rows_when_newer_ones_arrive(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await add_category(sessions, "C100", "Clothing")
    for age in range(4):
        await add_product(sessions, f"Tee {age}", age_days=age + 1)
    first = await _page(client, page_size=2)

    await add_product(sessions, "Brand New Tee", age_days=0)
    after = await _page(client, page_size=2, cursor=first["pagination"]["next_cursor"])
    by_number = await _page(client, page_size=2, page=2)

    assert [p["name"] for p in after["products"]] == ["Tee 2", "Tee 3"]
    assert [p["name"] for p in by_number["products"]] == ["Tee 1", "Tee 2"]


@pytest.mark.usefixtures("catalog_of_three")
@pytest.mark.parametrize("sort", [*SORTS, "relevance"])
@pytest.mark.parametrize("cursor", ["A" * 48, "_" * 48, "-" * 48, "z9" * 24])
async def test_any_string_of_the_documented_form_is_a_position(
    client: httpx.AsyncClient, sort: str, cursor: str
) -> None:
    """The document says what a cursor looks like; every such string is a page (perhaps an
    empty one), never an error: extreme times, prices, ratings, counts and ranks included."""
    body = await _page(client, sort=sort, q="shirt", cursor=cursor, page=7)

    assert body["pagination"]["page"] >= 1


@pytest.mark.usefixtures("many")
@pytest.mark.parametrize("sort", SORTS)
async def test_deep_page_numbers_list_the_offset_rows_and_cost_one_statement_once_anchored(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    sort: str,
) -> None:
    size = 20
    deep_pages = range(ANCHOR_EVERY // size + 1, (2 * ANCHOR_EVERY + 50) // size + 2)
    with counted_statements(app) as first:
        await _page(client, sort=sort, page=deep_pages[0], page_size=size)

    for number in deep_pages:
        with counted_statements(app) as log:
            body = await _page(client, sort=sort, page=number, page_size=size)
        async with sessions() as session:
            statement, values = page_statement(
                ProductFilters(), ProductSort(sort), PageParams(number, size)
            )
            rows = await SessionReader(session).all(statement, values)
        assert _ids(body) == [str(row["product_id"]) for row in rows], number
        assert body["pagination"]["page"] == number
        assert log.count == (0 if number == deep_pages[0] else 1)  # the first one is cached

    assert first.count == 3  # the page, its anchors and the filter's facets
