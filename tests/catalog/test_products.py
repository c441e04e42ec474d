import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.catalog.conftest import add_category, add_product, counted_statements


@pytest.fixture(autouse=True)
async def _category(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_category(sessions, "C100", "Clothing")


async def test_product_detail_has_every_field(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    images = ["https://img.example/1.jpg", "https://img.example/2.jpg"]
    product_id = await add_product(
        sessions,
        "Silk Scarf",
        brand="Mira",
        description="A soft scarf.",
        price="1299.00",
        discount_price="999.99",
        stock_quantity=3,
        image_urls=images,
        rating_sum=14,
        rating_count=3,
    )

    with counted_statements(app) as log:
        response = await client.get(f"/api/v1/products/{product_id}")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["status", "product"]
    product = body["product"]
    assert product.pop("slug").startswith("silk-scarf-")
    assert product.pop("created_at") == "2026-01-01T00:00:00Z"
    assert product.pop("updated_at") == "2026-01-01T00:00:00Z"
    assert product == {
        "product_id": str(product_id),
        "category_id": "C100",
        "name": "Silk Scarf",
        "brand": "Mira",
        "description": "A soft scarf.",
        "price": "1299.00",
        "discount_price": "999.99",
        "currency": "INR",
        "discount_percent": 23,
        "stock_quantity": 3,
        "in_stock": True,
        "image_urls": images,
        "rating_avg": 4.67,
        "rating_count": 3,
        "is_active": True,
    }
    assert log.count == 1


async def test_inactive_and_unknown_products_are_404_and_a_bad_id_is_400(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    hidden = await add_product(sessions, "Hidden", is_active=False)

    inactive = await client.get(f"/api/v1/products/{hidden}")
    unknown = await client.get(f"/api/v1/products/{uuid.uuid4()}")
    malformed = await client.get("/api/v1/products/not-a-uuid")

    assert inactive.status_code == unknown.status_code == 404
    assert inactive.json() == {"status": "error", "message": "Product not found."}
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["field"] == "product_id"


async def test_currency_comes_from_the_setting(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"currency": "USD"})
    product_id = await add_product(sessions, "Mug")

    detail = (await client.get(f"/api/v1/products/{product_id}")).json()["product"]
    listed = (await client.get("/api/v1/products")).json()["products"][0]

    assert detail["currency"] == listed["currency"] == "USD"
