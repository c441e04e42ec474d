"""What a cart refuses: bad quantities (400 on the field), products that cannot be sold (404),
more than the stock (409 with what is available), full lines and full carts (409). A refused
change writes nothing."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from tests.cart.conftest import (
    ITEMS,
    add,
    add_product,
    added,
    line_of,
    set_product,
    stored_carts,
    stored_lines,
    user_headers,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"cart_max_lines": 3})


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "Input should be greater than or equal to 1."),
        (-1, "Input should be greater than or equal to 1."),
        (1.5, "Input should be a valid integer."),
        (2.0, "Input should be a valid integer."),
        ("2", "Input should be a valid integer."),
        (True, "Input should be a valid integer."),
        (None, "Input should be a valid integer."),
        (11, "Must be between 1 and 10."),
        (2**63, "Must be between 1 and 10."),
    ],
)
async def test_a_quantity_that_is_not_an_integer_from_1_to_10_is_refused_on_the_field(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    quantity: Any,
    message: str,
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt")
    item_id = line_of(await added(client, shirt, 1, headers), shirt)["item_id"]
    before = await stored_lines(sessions)

    answers = [
        await add(client, shirt, quantity, headers),
        await add(client, shirt, quantity),
        await client.patch(f"{ITEMS}/{item_id}", json={"quantity": quantity}, headers=headers),
    ]

    for response in answers:
        assert response.status_code == 400
        assert response.json() == {
            "status": "error",
            "message": "Invalid input.",
            "errors": [{"field": "quantity", "message": message}],
        }
    assert await stored_lines(sessions) == before
    assert len(await stored_carts(sessions)) == 1  # no guest cart either


async def test_a_client_sent_price_or_unknown_field_is_refused(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt")

    response = await client.post(
        ITEMS,
        json={"product_id": str(shirt), "quantity": 1, "unit_price": "1.00"},
        headers=headers,
    )
    missing = await client.post(ITEMS, json={"quantity": 1}, headers=headers)
    not_an_id = await client.post(
        ITEMS, json={"product_id": "shirt", "quantity": 1}, headers=headers
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "unit_price", "message": "Unknown field."}]
    assert missing.json()["errors"] == [
        {"field": "product_id", "message": "This field is required."}
    ]
    assert [e["field"] for e in not_an_id.json()["errors"]] == ["product_id"]
    assert await stored_carts(sessions) == []


async def test_an_unknown_or_inactive_product_is_not_found_and_no_cart_is_made(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    retired = await add_product(sessions, "Retired", is_active=False)

    for product_id in (uuid.uuid4(), retired):
        for as_whom in (headers, None):
            response = await add(client, product_id, 1, as_whom)
            assert response.status_code == 404
            assert response.json() == {"status": "error", "message": "Product not found."}
            assert "X-Cart-Token" not in response.headers
    assert await stored_carts(sessions) == []


async def test_more_than_the_stock_counting_the_line_already_there_is_a_conflict(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", stock_quantity=5)
    await added(client, shirt, 3, headers)

    response = await add(client, shirt, 3, headers)

    assert response.status_code == 409
    message = "Only 5 available; your cart already holds 3."
    assert response.json() == {
        "status": "error",
        "message": message,
        "errors": [{"field": "quantity", "message": message}],
        "available": 5,
    }
    assert (await stored_carts(sessions))[0].lines == {shirt: 3}
    assert (await add(client, shirt, 2, headers)).status_code == 200


async def test_an_out_of_stock_product_cannot_be_added(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    hat = await add_product(sessions, "Hat", stock_quantity=0)

    response = await add(client, hat, 1)

    assert response.status_code == 409
    assert response.json()["message"] == "Only 0 available."
    assert response.json()["available"] == 0
    assert await stored_carts(sessions) == []


async def test_a_line_holds_at_most_the_per_line_maximum(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", stock_quantity=100)
    await added(client, shirt, 8, headers)

    response = await add(client, shirt, 3, headers)

    assert response.status_code == 409
    message = "A cart line holds at most 10; this one already holds 8."
    assert response.json() == {
        "status": "error",
        "message": message,
        "errors": [{"field": "quantity", "message": message}],
    }
    assert (await stored_carts(sessions))[0].lines == {shirt: 8}
    assert line_of(await added(client, shirt, 2, headers), shirt)["quantity"] == 10


async def test_a_cart_holds_at_most_the_line_limit(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    first, *others = [await add_product(sessions, f"Product {n}") for n in range(4)]
    for product_id in [first, *others[:2]]:
        await added(client, product_id, 1, headers)

    response = await add(client, others[2], 1, headers)

    assert response.status_code == 409
    assert response.json() == {
        "status": "error",
        "message": "A cart holds at most 3 different products. Remove one to add another.",
    }
    assert others[2] not in (await stored_carts(sessions))[0].lines
    assert line_of(await added(client, first, 1, headers), first)["quantity"] == 2


async def test_a_line_cannot_be_set_above_the_stock_or_changed_once_the_product_is_retired(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", stock_quantity=4)
    hat = await add_product(sessions, "Hat")
    await added(client, shirt, 2, headers)
    cart = await added(client, hat, 1, headers)
    shirt_item, hat_item = line_of(cart, shirt)["item_id"], line_of(cart, hat)["item_id"]
    await set_product(sessions, hat, is_active=False)

    too_many = await client.patch(f"{ITEMS}/{shirt_item}", json={"quantity": 5}, headers=headers)
    retired = await client.patch(f"{ITEMS}/{hat_item}", json={"quantity": 2}, headers=headers)

    assert too_many.status_code == 409
    assert too_many.json()["available"] == 4
    assert too_many.json()["errors"] == [{"field": "quantity", "message": "Only 4 available."}]
    assert retired.status_code == 409
    assert retired.json()["available"] == 0
    assert retired.json()["message"] == "This product is no longer sold; remove it from the cart."
    assert (await stored_carts(sessions))[0].lines == {shirt: 2, hat: 1}
    fewer = await client.patch(f"{ITEMS}/{shirt_item}", json={"quantity": 4}, headers=headers)
    assert fewer.status_code == 200
    assert (await client.delete(f"{ITEMS}/{hat_item}", headers=headers)).status_code == 200
