import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.search import prefix_tsquery
from tests.catalog.conftest import add_category, add_product, counted_statements


@pytest.fixture(autouse=True)
async def _category(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_category(sessions, "C100", "Kitchen")


async def search(client: httpx.AsyncClient, q: str, **params: str) -> list[str]:
    response = await client.get("/api/v1/products", params={"q": q} | params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["products"]]


async def test_an_exact_name_match_outranks_description_mentions(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Newer, and mentioning the words again and again, but only in its description.
    await add_product(
        sessions,
        "Tea Towel Set",
        description="Dries a steel kettle. Steel kettle care: wipe the steel kettle daily.",
        age_days=0,
    )
    await add_product(sessions, "Steel Kettle", description="Boils water.", age_days=30)
    await add_product(sessions, "Steel Kettle Descaler", brand="Kettle Care", age_days=10)

    assert await search(client, "steel kettle") == [
        "Steel Kettle",
        "Steel Kettle Descaler",
        "Tea Towel Set",
    ]


async def test_name_beats_brand_beats_description(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await add_product(sessions, "Plain Mug", description="Pairs well with copper.", age_days=0)
    await add_product(sessions, "Plain Jug", brand="Copper Works", age_days=1)
    await add_product(sessions, "Copper Pot", age_days=2)

    assert await search(client, "copper") == ["Copper Pot", "Plain Jug", "Plain Mug"]


async def test_websearch_syntax_stemming_and_other_sorts(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await add_product(sessions, "Running Shoes", price="2000.00")
    await add_product(sessions, "Trail Running Shoes", price="3000.00")
    await add_product(sessions, "Dress Shoes", price="1500.00")

    assert set(await search(client, "run")) == {"Running Shoes", "Trail Running Shoes"}
    assert await search(client, "shoes -trail", sort="price_desc") == [
        "Running Shoes",
        "Dress Shoes",
    ]
    assert await search(client, '"trail running"') == ["Trail Running Shoes"]
    assert await search(client, "nothing-like-this") == []
    assert await search(client, "' & | ! :* ( ) \\") == []


async def test_suggestions_are_name_prefix_matches(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    kettle = await add_product(sessions, "Steel Kettle")
    await add_product(sessions, "Steam Iron")
    await add_product(sessions, "Tea Towel", description="For your steel kettle.")
    await add_product(sessions, "Steel Pan", is_active=False)

    with counted_statements(app) as log:
        response = await client.get("/api/v1/products/suggest", params={"q": "steel ke"})
    stem = await client.get("/api/v1/products/suggest", params={"q": "Ste"})

    assert response.json() == {
        "status": "success",
        "suggestions": [{"product_id": str(kettle), "name": "Steel Kettle"}],
    }
    assert log.count == 1
    assert sorted(s["name"] for s in stem.json()["suggestions"]) == ["Steam Iron", "Steel Kettle"]


@pytest.mark.parametrize("q", ["'", "a:*|b", "!!", "it's & (x", "\\'; DROP TABLE products; --"])
async def test_any_input_is_safe_for_suggestions(client: httpx.AsyncClient, q: str) -> None:
    response = await client.get("/api/v1/products/suggest", params={"q": q})

    assert response.status_code == 200
    assert response.json()["suggestions"] == []


async def test_suggestions_are_capped_at_ten(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for n in range(12):
        await add_product(sessions, f"Lamp {n}")

    response = await client.get("/api/v1/products/suggest", params={"q": "lam"})

    assert len(response.json()["suggestions"]) == 10


def test_prefix_queries_keep_only_letters_and_digits() -> None:
    assert prefix_tsquery("Blue ket") == "'blue':A & 'ket':*A"
    assert prefix_tsquery("it's") == "'it':A & 's':*A"
    assert prefix_tsquery("':*!&|") is None


async def test_suggest_needs_q(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/products/suggest")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "q", "message": "This field is required."}]
