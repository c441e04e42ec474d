import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.demo import DEMO_CATEGORIES, seed_demo, seed_demo_if_empty
from storefront.core.database import unit_of_work
from tests.catalog.conftest import add_category, add_product, counted_statements


@pytest.fixture
async def tree(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_category(sessions, "C100", "Clothing")
    await add_category(sessions, "C200", "Grocery")
    await add_category(sessions, "C110", "Men", "C100")
    await add_category(sessions, "C120", "Women", "C100")
    await add_category(sessions, "C111", "Shirts", "C110")


async def test_lists_the_demo_categories_in_the_spec_shape(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        await seed_demo(session, products=0)

    response = await client.get("/api/v1/categories")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["status", "categories"]
    assert body["status"] == "success"
    assert body["categories"][:2] == [
        {"category_id": "C100", "name": "Clothing"},
        {"category_id": "C200", "name": "Grocery"},
    ]
    assert len(body["categories"]) == len(DEMO_CATEGORIES)


async def test_an_empty_catalog_lists_no_categories(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/categories")

    assert response.status_code == 200
    assert response.json() == {"status": "success", "categories": []}


async def test_category_list_is_cacheable_public_data(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/categories")

    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["etag"].startswith('"')


@pytest.mark.usefixtures("tree")
async def test_top_level_by_default_and_children_by_parent(client: httpx.AsyncClient) -> None:
    top = await client.get("/api/v1/categories")
    children = await client.get("/api/v1/categories", params={"parent_id": "C100"})
    leaf = await client.get("/api/v1/categories", params={"parent_id": "C111"})

    assert top.json()["categories"] == [
        {"category_id": "C100", "name": "Clothing"},
        {"category_id": "C200", "name": "Grocery"},
    ]
    assert children.json() == {
        "status": "success",
        "categories": [
            {"category_id": "C110", "name": "Men"},
            {"category_id": "C120", "name": "Women"},
        ],
    }
    assert leaf.json()["categories"] == []


@pytest.mark.usefixtures("tree")
async def test_unknown_parent_is_404_and_malformed_is_400(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/api/v1/categories", params={"parent_id": "C999"})
    malformed = await client.get("/api/v1/categories", params={"parent_id": "x'; drop"})

    assert unknown.status_code == 404
    assert unknown.json() == {"status": "error", "message": "Category not found."}
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["field"] == "parent_id"


@pytest.mark.usefixtures("tree")
async def test_category_detail_counts_active_products_in_its_whole_subtree(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await add_product(sessions, "Plain Tee", category_id="C100")
    await add_product(sessions, "Oxford Shirt", category_id="C111")
    await add_product(sessions, "Linen Shirt", category_id="C110")
    await add_product(sessions, "Old Shirt", category_id="C111", is_active=False)
    await add_product(sessions, "Rice", category_id="C200")

    with counted_statements(app) as log:
        response = await client.get("/api/v1/categories/C100")

    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "category": {
            "category_id": "C100",
            "name": "Clothing",
            "parent_id": None,
            "children": [
                {"category_id": "C110", "name": "Men"},
                {"category_id": "C120", "name": "Women"},
            ],
            "product_count": 3,
        },
    }
    assert log.count == 2
    leaf = (await client.get("/api/v1/categories/C111")).json()["category"]
    assert (leaf["parent_id"], leaf["children"], leaf["product_count"]) == ("C110", [], 1)
    assert (await client.get("/api/v1/categories/C404")).status_code == 404


async def test_seeding_twice_adds_nothing_and_an_existing_catalog_is_left_alone(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        assert await seed_demo_if_empty(session, products=50) is True
    async with unit_of_work(sessions) as session:
        await seed_demo(session, products=50)
        assert await seed_demo_if_empty(session) is False

    categories = await client.get("/api/v1/categories")
    clothing = await client.get("/api/v1/categories", params={"parent_id": "C100"})
    products = await client.get("/api/v1/products")

    assert len(categories.json()["categories"]) == len(DEMO_CATEGORIES)
    assert len(clothing.json()["categories"]) == 3
    assert products.json()["pagination"]["total_items"] == 50
