"""A user's cart: adding (to an existing line), changing, removing and emptying, and another
user's lines out of reach for every verb."""

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.cart.conftest import (
    CART,
    ITEMS,
    add,
    add_product,
    added,
    line_of,
    stored_carts,
    stored_lines,
    user_headers,
)

EMPTY: dict[str, Any] = {
    "cart_id": None,
    "items": [],
    "item_count": 0,
    "subtotal": "0.00",
    "discount": "0.00",
    "total": "0.00",
    "currency": "INR",
}


async def test_without_a_cart_the_cart_is_empty_and_nothing_is_written(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)

    for response in (await client.get(CART), await client.get(CART, headers=headers)):
        assert response.status_code == 200
        assert response.json() == {"status": "success", "cart": EMPTY}
        assert response.headers["Cache-Control"] == "no-store"
        assert "X-Cart-Token" not in response.headers
    assert await stored_carts(sessions) == []


async def test_adding_creates_a_line_then_adds_to_it(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", price="500.00", discount_price="450.00")

    first = await add(client, shirt, 2, headers)

    assert first.status_code == 201
    assert "X-Cart-Token" not in first.headers
    cart = first.json()["cart"]
    line = cart["items"][0]
    uuid.UUID(line["item_id"])
    assert cart == {
        "cart_id": cart["cart_id"],
        "items": [
            {
                "item_id": line["item_id"],
                "product_id": str(shirt),
                "name": "Shirt",
                "quantity": 2,
                "unit_price": "450.00",
                "added_unit_price": "450.00",
                "price_changed": False,
                "line_total": "900.00",
                "available": 10,
                "problems": [],
            }
        ],
        "item_count": 2,
        "subtotal": "1000.00",
        "discount": "100.00",
        "total": "900.00",
        "currency": "INR",
    }

    again = await add(client, shirt, 3, headers)

    assert again.status_code == 200
    assert again.json()["cart"]["items"] == [line | {"quantity": 5, "line_total": "2250.00"}]
    assert (await client.get(CART, headers=headers)).json()["cart"] == again.json()["cart"]
    [stored] = await stored_carts(sessions)
    assert str(stored.cart_id) == cart["cart_id"]
    assert stored.token_hash is None
    assert stored.lines == {shirt: 5}


async def test_lines_are_listed_in_the_order_they_were_added(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    names = ["Shirt", "Hat", "Scarf", "Belt"]
    for name in names:
        await added(client, await add_product(sessions, name), 1, headers)

    cart = (await client.get(CART, headers=headers)).json()["cart"]

    assert [line["name"] for line in cart["items"]] == names
    assert cart["item_count"] == 4
    assert cart["total"] == "400.00"


async def test_a_line_quantity_is_set_and_lines_are_removed(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", price="500.00")
    hat = await add_product(sessions, "Hat", price="200.00")
    await added(client, shirt, 1, headers)
    cart = await added(client, hat, 1, headers)
    shirt_line = line_of(cart, shirt)

    changed = await client.patch(
        f"{ITEMS}/{shirt_line['item_id']}", json={"quantity": 4}, headers=headers
    )

    assert changed.status_code == 200
    assert line_of(changed.json()["cart"], shirt)["quantity"] == 4
    assert changed.json()["cart"]["total"] == "2200.00"

    removed = await client.delete(f"{ITEMS}/{shirt_line['item_id']}", headers=headers)

    assert removed.status_code == 200
    assert [line["name"] for line in removed.json()["cart"]["items"]] == ["Hat"]
    assert removed.json()["cart"]["total"] == "200.00"
    again = await client.delete(f"{ITEMS}/{shirt_line['item_id']}", headers=headers)
    assert again.status_code == 404
    assert (await stored_carts(sessions))[0].lines == {hat: 1}


async def test_emptying_the_cart_removes_every_line_and_keeps_the_cart(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    await added(client, await add_product(sessions, "Shirt"), 2, headers)
    cart = await added(client, await add_product(sessions, "Hat"), 1, headers)

    response = await client.delete(CART, headers=headers)

    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "cart": EMPTY | {"cart_id": cart["cart_id"]},
    }
    [stored] = await stored_carts(sessions)
    assert stored.lines == {}
    nothing = await client.delete(CART, headers=await user_headers(app, sessions, "jane_doe2"))
    assert nothing.json()["cart"] == EMPTY


async def test_another_users_line_is_not_found_for_every_verb_and_stays_as_it_is(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    john = await user_headers(app, sessions, "john_doe")
    jane = await user_headers(app, sessions, "jane_doe")
    shirt = await add_product(sessions, "Shirt")
    await added(client, shirt, 1, john)  # john has a cart too
    janes_item = (await added(client, shirt, 2, jane))["items"][0]["item_id"]
    before = await stored_lines(sessions)

    answers = [
        await client.patch(f"{ITEMS}/{janes_item}", json={"quantity": 5}, headers=john),
        await client.delete(f"{ITEMS}/{janes_item}", headers=john),
        await client.patch(f"{ITEMS}/{janes_item}", json={"quantity": 5}),
        await client.delete(f"{ITEMS}/{janes_item}"),
        await client.patch(f"{ITEMS}/{uuid.uuid4()}", json={"quantity": 5}, headers=jane),
    ]

    for response in answers:
        assert response.status_code == 404
        assert response.json() == {"status": "error", "message": "Cart item not found."}
    assert await stored_lines(sessions) == before
    johns_cart = (await client.get(CART, headers=john)).json()["cart"]
    assert [line["quantity"] for line in johns_cart["items"]] == [1]


async def test_an_invalid_bearer_token_is_refused_rather_than_treated_as_a_guest(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")

    response = await add(client, shirt, 1, {"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await stored_carts(sessions) == []
