"""A guest who logs in keeps their cart: it merges into the user's (quantities added, capped by
the stock and the per-line maximum), then is gone, so a retried login merges nothing twice."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from tests.auth.conftest import PASSWORD, logged_in
from tests.cart.conftest import (
    CART,
    add,
    add_product,
    added,
    guest_cart,
    line_of,
    set_product,
    stored_carts,
)
from tests.cart.test_lines import EMPTY


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"cart_max_lines": 4})


async def login_with_cart(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login",
        json={"username_or_email": "john_doe", "password": PASSWORD},
        headers={"X-Cart-Token": token},
    )


async def users_cart(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[uuid.UUID, int]:
    cart: dict[str, Any] = (await client.get(CART, headers=headers)).json()["cart"]
    return {uuid.UUID(line["product_id"]): line["quantity"] for line in cart["items"]}


async def test_logging_in_with_a_guest_token_merges_that_cart_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt", stock_quantity=4)
    hat = await add_product(sessions, "Hat")
    scarf = await add_product(sessions, "Scarf")
    john = (await logged_in(client))["headers"]
    await added(client, shirt, 3, john)
    await added(client, hat, 1, john)
    token = await guest_cart(client, shirt, 2)
    await added(client, scarf, 1, {"X-Cart-Token": token})

    response = await login_with_cart(client, token)

    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    # 3 + 2 shirts capped by the 4 in stock; the scarf joins the user's lines.
    expected = {shirt: 4, hat: 1, scarf: 1}
    assert await users_cart(client, john) == expected
    [stored] = await stored_carts(sessions)
    assert stored.token_hash is None
    assert stored.lines == expected

    retried = await login_with_cart(client, token)

    assert retried.status_code == 200
    assert await users_cart(client, john) == expected
    assert (await client.get(CART, headers={"X-Cart-Token": token})).json()["cart"] == EMPTY


async def test_merged_lines_stop_at_the_per_line_maximum(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt", stock_quantity=100)
    john = (await logged_in(client))["headers"]
    await added(client, shirt, 7, john)
    token = await guest_cart(client, shirt, 6)

    await login_with_cart(client, token)

    assert await users_cart(client, john) == {shirt: 10}


async def test_a_merge_never_lowers_a_line_below_what_either_cart_held(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt", stock_quantity=5)
    hat = await add_product(sessions, "Hat", stock_quantity=5)
    john = (await logged_in(client))["headers"]
    await added(client, hat, 2, john)
    token = await guest_cart(client, shirt, 3)
    await added(client, hat, 1, {"X-Cart-Token": token})
    await set_product(sessions, shirt, stock_quantity=1)
    await set_product(sessions, hat, stock_quantity=1)

    await login_with_cart(client, token)

    cart = (await client.get(CART, headers=john)).json()["cart"]
    assert (line_of(cart, shirt)["quantity"], line_of(cart, shirt)["problems"]) == (
        3,
        ["insufficient_stock"],
    )
    assert (line_of(cart, hat)["quantity"], line_of(cart, hat)["problems"]) == (
        2,
        ["insufficient_stock"],
    )


async def test_guest_lines_fill_the_users_cart_up_to_the_line_limit(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    john = (await logged_in(client))["headers"]
    products = [await add_product(sessions, f"Product {n}") for n in range(6)]
    mine = (await added(client, products[0], 1, john))["cart_id"]
    token = await guest_cart(client, products[1], 1)
    for product_id in products[2:]:
        # The guest's cart is held to its own limit of 4 lines.
        answer = await add(client, product_id, 2, {"X-Cart-Token": token})
        assert answer.status_code == (201 if product_id != products[5] else 409)

    await login_with_cart(client, token)

    # One line of the user's and the guest's first three: the fourth finds the cart full.
    assert await users_cart(client, john) == {
        products[0]: 1,
        products[1]: 1,
        products[2]: 2,
        products[3]: 2,
    }
    assert [str(c.cart_id) for c in await stored_carts(sessions)] == [mine]


async def test_a_guest_cart_becomes_the_users_when_the_user_has_none(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    john = (await logged_in(client))["headers"]
    token = await guest_cart(client, shirt, 2)

    await login_with_cart(client, token)

    assert await users_cart(client, john) == {shirt: 2}
    [stored] = await stored_carts(sessions)
    assert (stored.token_hash, stored.lines) == (None, {shirt: 2})


async def test_any_cart_call_of_a_user_with_a_guest_token_merges_it(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    hat = await add_product(sessions, "Hat")
    john = (await logged_in(client))["headers"]
    first = await guest_cart(client, shirt, 2)
    second = await guest_cart(client, shirt, 1)

    seen = await client.get(CART, headers=john | {"X-Cart-Token": first})
    grown = await add(client, hat, 1, john | {"X-Cart-Token": second})

    assert [line["quantity"] for line in seen.json()["cart"]["items"]] == [2]
    assert grown.status_code == 201
    assert "X-Cart-Token" not in grown.headers
    assert await users_cart(client, john) == {shirt: 3, hat: 1}
    assert len(await stored_carts(sessions)) == 1


async def test_a_failed_login_merges_nothing(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    await logged_in(client)
    token = await guest_cart(client, shirt, 2)

    response = await client.post(
        "/api/v1/auth/login",
        json={"username_or_email": "john_doe", "password": "wrong password"},
        headers={"X-Cart-Token": token},
    )

    assert response.status_code == 401
    seen = (await client.get(CART, headers={"X-Cart-Token": token})).json()["cart"]
    assert [line["quantity"] for line in seen["items"]] == [2]


async def test_two_logins_at_once_with_one_guest_token_merge_it_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shirt = await add_product(sessions, "Shirt")
    john = (await logged_in(client))["headers"]
    await added(client, shirt, 1, john)
    token = await guest_cart(client, shirt, 2)

    answers = await asyncio.gather(login_with_cart(client, token), login_with_cart(client, token))

    assert [r.status_code for r in answers] == [200, 200]
    assert await users_cart(client, john) == {shirt: 3}
