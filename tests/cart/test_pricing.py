"""Live prices: each line at today's price beside the one it was added at, lines that cannot be
bought as they stand flagged (never dropped), and the server's totals over the rest."""

from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.cart.conftest import (
    CART,
    add_product,
    added,
    admin_headers,
    line_of,
    set_product,
    stored_lines,
    user_headers,
)


async def test_a_price_changed_by_an_admin_shows_on_the_line_and_in_the_totals(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    admin = await admin_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", price="500.00")
    hat = await add_product(sessions, "Hat", price="200.00")
    await added(client, shirt, 2, headers)
    await added(client, hat, 1, headers)

    response = await client.patch(
        f"/api/v1/admin/products/{shirt}",
        json={"price": "600.00", "discount_price": "550.00"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    cart = (await client.get(CART, headers=headers)).json()["cart"]

    assert line_of(cart, shirt) | {"item_id": None} == {
        "item_id": None,
        "product_id": str(shirt),
        "name": "Shirt",
        "quantity": 2,
        "unit_price": "550.00",
        "added_unit_price": "500.00",
        "price_changed": True,
        "line_total": "1100.00",
        "available": 10,
        "problems": [],
    }
    assert line_of(cart, hat)["price_changed"] is False
    assert (cart["item_count"], cart["subtotal"], cart["discount"], cart["total"]) == (
        3,
        "1400.00",
        "100.00",
        "1300.00",
    )


async def test_adding_again_takes_the_current_price_as_the_agreed_one(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", price="500.00")
    await added(client, shirt, 1, headers)
    await set_product(sessions, shirt, price="450.00")
    assert line_of((await client.get(CART, headers=headers)).json()["cart"], shirt)["price_changed"]

    line = line_of(await added(client, shirt, 1, headers), shirt)

    assert (line["added_unit_price"], line["price_changed"], line["quantity"]) == (
        "450.00",
        False,
        2,
    )
    assert [row[3] for row in await stored_lines(sessions)] == [Decimal("450.00")]


async def test_lines_that_cannot_be_bought_as_they_stand_are_flagged_not_dropped(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await user_headers(app, sessions)
    shirt = await add_product(sessions, "Shirt", price="500.00", stock_quantity=5)
    hat = await add_product(sessions, "Hat", price="200.00")
    scarf = await add_product(sessions, "Scarf", price="300.00")
    belt = await add_product(sessions, "Belt", price="100.00", discount_price="80.00")
    for product_id, quantity in ((shirt, 4), (hat, 1), (scarf, 2), (belt, 1)):
        await added(client, product_id, quantity, headers)

    await set_product(sessions, shirt, stock_quantity=3)
    await set_product(sessions, hat, stock_quantity=0)
    await set_product(sessions, scarf, is_active=False)
    cart = (await client.get(CART, headers=headers)).json()["cart"]

    flags = {line["name"]: (line["available"], line["problems"]) for line in cart["items"]}
    assert flags == {
        "Shirt": (3, ["insufficient_stock"]),
        "Hat": (0, ["out_of_stock"]),
        "Scarf": (0, ["inactive"]),
        "Belt": (10, []),
    }
    assert line_of(cart, scarf)["line_total"] == "600.00"
    # The retired scarf is left out of the totals; lines short of stock stay in them.
    assert (cart["item_count"], cart["subtotal"], cart["discount"], cart["total"]) == (
        6,
        "2300.00",
        "20.00",
        "2280.00",
    )
