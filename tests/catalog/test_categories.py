import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.demo import DEMO_CATEGORIES, seed_demo, seed_demo_if_empty
from storefront.core.database import unit_of_work


async def test_lists_the_demo_categories_in_the_spec_shape(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        await seed_demo(session)

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


async def test_seeding_twice_adds_nothing_and_an_existing_catalog_is_left_alone(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        assert await seed_demo_if_empty(session) is True
    async with unit_of_work(sessions) as session:
        await seed_demo(session)
        assert await seed_demo_if_empty(session) is False

    response = await client.get("/api/v1/categories")

    assert len(response.json()["categories"]) == len(DEMO_CATEGORIES)
