import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import Role
from storefront.catalog.models import categories_table, products_table
from tests.catalog.conftest import add_category, add_product, user_headers

NEW_PRODUCT = {
    "category_id": "C110",
    "name": "Linen Shirt",
    "brand": "Northwind",
    "description": "Breathable.",
    "price": "1499.00",
    "discount_price": "1199.50",
    "stock_quantity": 7,
    "image_urls": ["https://img.example/a.jpg", "http://img.example/b.jpg"],
}


@pytest.fixture
async def admin(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, str]:
    await add_category(sessions, "C100", "Clothing")
    await add_category(sessions, "C110", "Men", "C100")
    return await user_headers(app, sessions, "the_admin", Role.ADMIN)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/admin/categories"),
        ("PATCH", "/api/v1/admin/categories/C100"),
        ("POST", "/api/v1/admin/products"),
        ("PATCH", f"/api/v1/admin/products/{uuid.uuid4()}"),
        ("DELETE", f"/api/v1/admin/products/{uuid.uuid4()}"),
    ],
)
async def test_admin_routes_are_401_anonymous_and_403_for_customers(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    method: str,
    path: str,
) -> None:
    customer = await user_headers(app, sessions)
    body: dict[str, object] | None = {} if method != "DELETE" else None

    anonymous = await client.request(method, path, json=body)
    forbidden = await client.request(method, path, json=body, headers=customer)

    assert anonymous.status_code == 401
    assert forbidden.status_code == 403


async def test_admin_creates_and_changes_categories(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/api/v1/admin/categories",
        json={"category_id": "C111", "name": "Shirts", "parent_id": "C110"},
        headers=admin,
    )
    duplicate = await client.post(
        "/api/v1/admin/categories", json={"category_id": "C111", "name": "Again"}, headers=admin
    )
    orphan = await client.post(
        "/api/v1/admin/categories",
        json={"category_id": "C900", "name": "Lost", "parent_id": "C999"},
        headers=admin,
    )
    blank = await client.post(
        "/api/v1/admin/categories", json={"category_id": "C901", "name": "  "}, headers=admin
    )
    cycle = await client.patch(
        "/api/v1/admin/categories/C100", json={"parent_id": "C111"}, headers=admin
    )
    renamed = await client.patch(
        "/api/v1/admin/categories/C110", json={"name": "Menswear"}, headers=admin
    )

    assert created.status_code == 201
    assert created.json()["category"]["parent_id"] == "C110"
    assert duplicate.status_code == 409
    assert (orphan.status_code, orphan.json()["errors"][0]["field"]) == (400, "parent_id")
    assert (blank.status_code, blank.json()["errors"][0]["field"]) == (400, "name")
    assert (cycle.status_code, cycle.json()["errors"][0]["field"]) == (400, "parent_id")
    assert renamed.json()["category"]["name"] == "Menswear"
    assert renamed.json()["category"]["children"] == [{"category_id": "C111", "name": "Shirts"}]
    listed = await client.get("/api/v1/categories", params={"parent_id": "C100"})
    assert listed.json()["categories"] == [{"category_id": "C110", "name": "Menswear"}]


CYCLE_REFUSED = {
    "status": "error",
    "message": "Invalid input.",
    "errors": [
        {
            "field": "parent_id",
            "message": "A category cannot be moved under itself or its own subcategory.",
        }
    ],
}


async def test_two_admins_moving_two_categories_under_each_other_at_once_make_no_cycle(
    client: httpx.AsyncClient, admin: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await add_category(sessions, "C300", "Home")
    await add_category(sessions, "C400", "Garden")

    async def move(category_id: str, parent_id: str | None) -> httpx.Response:
        path = f"/api/v1/admin/categories/{category_id}"
        return await client.patch(path, json={"parent_id": parent_id}, headers=admin)

    for _ in range(10):  # each round a fresh race between the two moves
        answers = await asyncio.gather(move("C300", "C400"), move("C400", "C300"))

        assert sorted(answer.status_code for answer in answers) == [200, 400]
        [refused] = [answer.json() for answer in answers if answer.status_code == 400]
        assert refused == CYCLE_REFUSED
        assert not _has_a_cycle(await _parents(sessions))
        for category_id in ("C300", "C400"):
            assert (await move(category_id, None)).status_code == 200


async def _parents(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str | None]:
    async with sessions() as session:
        rows = await session.execute(
            select(categories_table.c.category_id, categories_table.c.parent_id)
        )
    return dict(rows.all())


def _has_a_cycle(parents: dict[str, str | None]) -> bool:
    """In a tree every category reaches the top within as many steps as there are categories."""
    for parent in parents.values():
        ancestor = parent
        for _ in parents:
            if ancestor is None:
                break
            ancestor = parents[ancestor]
        if ancestor is not None:
            return True
    return False


async def test_admin_creates_a_product(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post("/api/v1/admin/products", json=NEW_PRODUCT, headers=admin)

    assert response.status_code == 201, response.text
    product = response.json()["product"]
    assert product["slug"].startswith("linen-shirt-")
    assert (product["price"], product["discount_price"], product["discount_percent"]) == (
        "1499.00",
        "1199.50",
        19,
    )
    assert (product["rating_avg"], product["rating_count"], product["is_active"]) == (None, 0, True)
    public = await client.get(f"/api/v1/products/{product['product_id']}")
    assert public.json()["product"] == product


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-5.00"}, "price"),
        ({"price": "10.001"}, "price"),
        ({"discount_price": "1499.00"}, "discount_price"),
        ({"discount_price": "2000.00"}, "discount_price"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"stock_quantity": 1.5}, "stock_quantity"),
        ({"image_urls": ["javascript:alert(1)"]}, "image_urls[0]"),
        ({"image_urls": ["ftp://img.example/a.jpg"]}, "image_urls[0]"),
        ({"category_id": "C999"}, "category_id"),
        ({"name": "   "}, "name"),
        ({"brand": ""}, "brand"),
        ({"rating_avg": "5.00"}, "rating_avg"),
        ({"rating_count": 100}, "rating_count"),
        ({"product_id": str(uuid.uuid4())}, "product_id"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
async def test_product_validation(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
    field: str,
) -> None:
    existing = await add_product(sessions, "Existing", category_id="C110", price="1499.00")

    created = await client.post("/api/v1/admin/products", json=NEW_PRODUCT | change, headers=admin)
    patched = await client.patch(f"/api/v1/admin/products/{existing}", json=change, headers=admin)

    for response in (created, patched):
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    async with sessions() as session:
        count = len((await session.execute(select(products_table.c.product_id))).all())
    assert count == 1


async def test_patching_checks_the_discount_against_the_stored_price(
    client: httpx.AsyncClient, admin: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    product_id = await add_product(sessions, "Cap", price="500.00", discount_price="400.00")
    url = f"/api/v1/admin/products/{product_id}"

    too_cheap = await client.patch(url, json={"price": "400.00"}, headers=admin)
    null_name = await client.patch(url, json={"name": None}, headers=admin)
    cleared = await client.patch(
        url, json={"discount_price": None, "stock_quantity": 0}, headers=admin
    )
    unknown = await client.patch(
        f"/api/v1/admin/products/{uuid.uuid4()}", json={"name": "X"}, headers=admin
    )

    assert (too_cheap.status_code, too_cheap.json()["errors"][0]["field"]) == (
        400,
        "discount_price",
    )
    assert null_name.status_code == 400
    product = cleared.json()["product"]
    assert (product["discount_price"], product["discount_percent"], product["in_stock"]) == (
        None,
        0,
        False,
    )
    assert unknown.status_code == 404


async def test_an_empty_patch_answers_the_product_unchanged(
    client: httpx.AsyncClient, admin: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    product_id = await add_product(sessions, "Cap", price="500.00")

    response = await client.patch(f"/api/v1/admin/products/{product_id}", json={}, headers=admin)

    assert response.status_code == 200
    product = response.json()["product"]
    assert (product["product_id"], product["name"], product["price"]) == (
        str(product_id),
        "Cap",
        "500.00",
    )


async def test_deleting_a_product_deactivates_it(
    client: httpx.AsyncClient, admin: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    product_id = await add_product(sessions, "Scarf")

    response = await client.delete(f"/api/v1/admin/products/{product_id}", headers=admin)

    assert response.status_code == 200
    assert response.json()["product"]["is_active"] is False
    assert (await client.get(f"/api/v1/products/{product_id}")).status_code == 404
    assert (await client.get("/api/v1/products")).json()["products"] == []
    async with sessions() as session:
        still_there = await session.scalar(
            select(products_table.c.name).where(products_table.c.product_id == product_id)
        )
    assert still_there == "Scarf"
    reactivated = await client.patch(
        f"/api/v1/admin/products/{product_id}", json={"is_active": True}, headers=admin
    )
    assert reactivated.json()["product"]["is_active"] is True
    assert (await client.get(f"/api/v1/products/{product_id}")).status_code == 200
