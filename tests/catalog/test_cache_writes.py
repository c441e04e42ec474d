"""A cached catalog page followed by each single kind of catalog write: the next GET shows the
change. Each test first proves the page really is cached (a change made behind the API's back
stays invisible), so it fails if the write's invalidation were removed."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import Role
from storefront.catalog.models import products_table
from storefront.core.database import unit_of_work
from tests.catalog.conftest import add_category, add_product, user_headers

REVIEW = {"rating": 4, "title": "Warm", "body": "Good for winter."}


@pytest.fixture
async def product_id(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    await add_category(sessions, "C100", "Clothing")
    return await add_product(sessions, "Wool Socks", price="300.00")


async def admin(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    return await user_headers(app, sessions, "shop_admin", Role.ADMIN)


async def cached_detail(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], product_id: uuid.UUID
) -> dict[str, object]:
    """The product's detail, cached: a rename straight in the database is not seen."""
    url = f"/api/v1/products/{product_id}"
    first = (await client.get(url)).json()["product"]
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(products_table)
            .where(products_table.c.product_id == product_id)
            .values(description="changed behind the cache")
        )
    again = (await client.get(url)).json()["product"]
    assert again["description"] == first["description"]
    detail: dict[str, object] = again
    return detail


async def test_a_new_category_shows_in_the_cached_list(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    await cached_detail(client, sessions, product_id)
    before = (await client.get("/api/v1/categories")).json()["categories"]
    created = await client.post(
        "/api/v1/admin/categories",
        json={"category_id": "C200", "name": "Grocery"},
        headers=await admin(app, sessions),
    )
    assert created.status_code == 201
    after = (await client.get("/api/v1/categories")).json()["categories"]
    assert [c["category_id"] for c in before] == ["C100"]
    assert [c["category_id"] for c in after] == ["C100", "C200"]


async def test_a_product_update_shows_in_the_cached_detail_and_listing(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    await cached_detail(client, sessions, product_id)
    await client.get("/api/v1/products")
    changed = await client.patch(
        f"/api/v1/admin/products/{product_id}",
        json={"price": "350.00"},
        headers=await admin(app, sessions),
    )
    assert changed.status_code == 200
    detail = (await client.get(f"/api/v1/products/{product_id}")).json()["product"]
    listing = (await client.get("/api/v1/products")).json()["products"]
    assert detail["price"] == "350.00"
    assert detail["description"] == "changed behind the cache"  # the entry was rebuilt
    assert [p["price"] for p in listing] == ["350.00"]


async def test_a_deactivated_product_leaves_the_cached_detail_and_listing(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    await cached_detail(client, sessions, product_id)
    assert len((await client.get("/api/v1/products")).json()["products"]) == 1
    gone = await client.delete(
        f"/api/v1/admin/products/{product_id}", headers=await admin(app, sessions)
    )
    assert gone.status_code == 200
    assert (await client.get(f"/api/v1/products/{product_id}")).status_code == 404
    assert (await client.get("/api/v1/products")).json()["products"] == []


async def ratings(client: httpx.AsyncClient, product_id: uuid.UUID) -> tuple[object, object]:
    product = (await client.get(f"/api/v1/products/{product_id}")).json()["product"]
    return product["rating_avg"], product["rating_count"]


async def test_a_review_created_changed_and_deleted_moves_the_cached_rating(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    await cached_detail(client, sessions, product_id)
    author = await user_headers(app, sessions, "reviewer_1")
    url = f"/api/v1/products/{product_id}/reviews"
    assert await ratings(client, product_id) == (None, 0)

    created = await client.post(url, json=REVIEW, headers=author)
    assert created.status_code == 201
    assert await ratings(client, product_id) == (4.0, 1)

    review_id = created.json()["review"]["review_id"]
    changed = await client.patch(f"{url}/{review_id}", json={"rating": 2}, headers=author)
    assert changed.status_code == 200
    assert await ratings(client, product_id) == (2.0, 1)

    deleted = await client.delete(f"{url}/{review_id}", headers=author)
    assert deleted.status_code == 200
    assert await ratings(client, product_id) == (None, 0)
