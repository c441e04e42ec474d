import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.app import create_app
from storefront.auth.models import Role
from storefront.catalog.cache import RedisCatalogCache
from storefront.core.config import Settings
from tests.catalog.cache_backends import settings_on_each_cache  # noqa: F401 (both caches)
from tests.catalog.conftest import add_category, add_product, counted_statements, user_headers
from tests.conftest import serving


@pytest.fixture
async def product_id(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    await add_category(sessions, "C100", "Clothing")
    return await add_product(sessions, "Wool Socks", price="300.00")


CACHED_URLS = [
    "/api/v1/categories",
    "/api/v1/categories/C100",
    "/api/v1/products?sort=price_asc",
    "/api/v1/products/suggest?q=wool",
]


@pytest.mark.usefixtures("product_id")
@pytest.mark.parametrize("url", CACHED_URLS)
async def test_a_repeated_get_is_served_from_the_cache_with_every_header(
    app: FastAPI, client: httpx.AsyncClient, url: str
) -> None:
    first = await client.get(url)
    with counted_statements(app) as log:
        second = await client.get(url, headers={"X-Request-ID": "req-42"})

    assert second.status_code == 200
    assert log.count == 0
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == "public, max-age=60"
    assert second.headers["content-type"] == "application/json; charset=utf-8"
    assert second.headers["x-request-id"] == "req-42"
    assert second.headers["x-content-type-options"] == "nosniff"
    assert second.headers["content-security-policy"] == "frame-ancestors 'none'"


async def test_etag_gives_304_on_a_miss_and_on_a_hit(
    client: httpx.AsyncClient, product_id: uuid.UUID
) -> None:
    url = f"/api/v1/products/{product_id}"
    first = await client.get(url)
    etag = first.headers["etag"]

    hit = await client.get(url, headers={"If-None-Match": etag})
    other = await client.get(url, headers={"If-None-Match": '"something-else"'})
    listed = await client.get(url, headers={"If-None-Match": f'"x", W/{etag}'})

    assert (hit.status_code, hit.content, hit.headers["etag"]) == (304, b"", etag)
    assert "x-request-id" in hit.headers
    assert other.status_code == 200
    assert listed.status_code == 304


async def test_parameter_order_does_not_matter(
    app: FastAPI, client: httpx.AsyncClient, product_id: uuid.UUID
) -> None:
    await client.get("/api/v1/products?brand=Acme&brand=Zed&sort=newest")
    with counted_statements(app) as log:
        response = await client.get("/api/v1/products?sort=newest&brand=Zed&brand=Acme")

    assert response.status_code == 200
    assert log.count == 0


async def test_a_repeated_parameter_is_cached_by_the_value_the_route_reads(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The route reads the last of a repeated parameter: the same pairs in another order ask
    for another page, and must not share its cache entry."""
    await add_category(sessions, "C100", "Clothing")
    for age, name in enumerate(["Newest Tee", "Older Tee"]):
        await add_product(sessions, name, age_days=age)

    second = await client.get("/api/v1/products?page_size=1&page=1&page=2")
    first = await client.get("/api/v1/products?page_size=1&page=2&page=1")

    assert [p["name"] for p in second.json()["products"]] == ["Older Tee"]
    assert [p["name"] for p in first.json()["products"]] == ["Newest Tee"]


async def test_an_admin_write_is_visible_on_the_next_get(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    admin = await user_headers(app, sessions, "the_admin", Role.ADMIN)
    detail_url = f"/api/v1/products/{product_id}"
    before = (await client.get(detail_url)).json()["product"]
    listed_before = (await client.get("/api/v1/products")).json()["products"]

    await client.patch(
        f"/api/v1/admin/products/{product_id}", json={"name": "Merino Socks"}, headers=admin
    )
    await client.post(
        "/api/v1/admin/categories", json={"category_id": "C200", "name": "Grocery"}, headers=admin
    )

    assert before["name"] == listed_before[0]["name"] == "Wool Socks"
    assert (await client.get(detail_url)).json()["product"]["name"] == "Merino Socks"
    assert (await client.get("/api/v1/products")).json()["products"][0]["name"] == "Merino Socks"
    categories = (await client.get("/api/v1/categories")).json()["categories"]
    assert [c["category_id"] for c in categories] == ["C100", "C200"]


async def test_a_review_is_visible_in_the_cached_rating(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    headers = await user_headers(app, sessions)
    url = f"/api/v1/products/{product_id}"
    assert (await client.get(url)).json()["product"]["rating_count"] == 0

    review = {"rating": 5, "title": "Great"}
    await client.post(f"{url}/reviews", json=review, headers=headers)

    assert (await client.get(url)).json()["product"]["rating_count"] == 1


async def test_errors_are_not_cached_and_other_routes_stay_no_store(
    app: FastAPI, client: httpx.AsyncClient, product_id: uuid.UUID
) -> None:
    missing = f"/api/v1/products/{uuid.uuid4()}"
    await client.get(missing)
    with counted_statements(app) as log:
        again = await client.get(missing)
    reviews = await client.get(f"/api/v1/products/{product_id}/reviews")

    assert again.status_code == 404
    assert log.count == 1
    assert again.headers["cache-control"] == "no-store"
    assert reviews.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("settings", ["in-process"], indirect=True)
async def test_with_redis_down_reads_come_from_the_database(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Port 1 refuses connections: every cache call fails, and no read fails with it."""
    await add_category(sessions, "C100", "Clothing")
    product_id = await add_product(sessions, "Wool Socks")
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    caplog.set_level(logging.WARNING, "storefront.catalog.cache")

    async with serving(app) as client:
        responses = [
            await client.get(url)
            for url in ["/api/v1/categories", "/api/v1/products", f"/api/v1/products/{product_id}"]
        ]
        assert isinstance(app.state.catalog_cache, RedisCatalogCache)

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[2].json()["product"]["name"] == "Wool Socks"
    assert "catalog cache unavailable" in caplog.text


@pytest.mark.parametrize("url", [*CACHED_URLS, "/api/v1/categories?parent_id=C100"])
async def test_head_has_the_headers_of_get_without_a_body(
    client: httpx.AsyncClient, product_id: uuid.UUID, url: str
) -> None:
    got = await client.get(url)
    head = await client.head(url)

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["cache-control"] == "public, max-age=60"
