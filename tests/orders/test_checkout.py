"""Checkout: the cart becomes an order with its prices, lines and address copied, the stock
taken and the cart emptied, or nothing changes at all."""

import asyncio
import uuid
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from tests.catalog.conftest import add_product, counted_statements
from tests.orders.conftest import (
    ORDERS,
    add_buyer,
    add_buyers,
    add_products,
    cart_lines,
    checkout,
    ensure_category,
    events_of_type,
    fill_cart,
    new_key,
    placed,
    stock,
    stored_lines,
    stored_orders,
    stored_timeline,
)


async def test_a_checkout_turns_the_cart_into_an_order(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await ensure_category(sessions)
    shirt = await add_product(sessions, "Shirt", price="500.00", discount_price="450.00")
    socks = await add_product(sessions, "Socks", price="99.50", stock_quantity=3)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {shirt: 2, socks: 3})

    response = await checkout(client, buyer)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "success"
    order = body["order"]
    assert order["status"] == "pending_payment"
    assert order["payment_status"] == "unpaid"
    assert order["currency"] == "INR"
    assert (order["subtotal"], order["discount"], order["total"]) == (
        "1298.50",
        "100.00",
        "1198.50",
    )
    assert sorted(
        (item["name"], item["unit_price"], item["quantity"], item["line_total"])
        for item in order["items"]
    ) == [("Shirt", "450.00", 2, "900.00"), ("Socks", "99.50", 3, "298.50")]
    assert order["shipping_address"]["line1"] == "12 MG Road"
    assert order["shipping_address"]["postal_code"] == "560001"
    assert order["tracking_number"] is None
    assert [(e["from_status"], e["to_status"], e["actor_type"]) for e in order["timeline"]] == [
        (None, "pending_payment", "user")
    ]
    assert (await stock(sessions, shirt), await stock(sessions, socks)) == (8, 0)
    assert await cart_lines(sessions, buyer.user_id) == {}
    [stored] = await stored_orders(sessions)
    assert str(stored.order_id) == order["order_id"]
    assert stored.total == Decimal("1198.50")
    assert len(await stored_lines(sessions)) == 2
    assert await stored_timeline(sessions, stored.order_id) == [(None, "pending_payment", "user")]
    assert await events_of_type(sessions, "order.created") == [
        {"order_id": order["order_id"], "user_id": str(buyer.user_id)}
    ]


async def test_the_order_reads_back_as_it_was_answered(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    products = await add_products(sessions, 3)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, dict.fromkeys(products, 1))
    order = await placed(client, buyer)

    response = await client.get(f"{ORDERS}/{order['order_id']}", headers=buyer.headers)

    assert response.status_code == 200
    assert response.json()["order"] == order


async def test_the_order_keeps_its_copies_when_the_product_and_address_change(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, price="100.00")
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {product: 1})
    order = await placed(client, buyer)
    async with unit_of_work(sessions) as session:
        await session.execute(text("UPDATE products SET name = 'Renamed', price = 120"))
        await session.execute(text("UPDATE addresses SET line1 = 'Moved away'"))

    response = await client.get(f"{ORDERS}/{order['order_id']}", headers=buyer.headers)

    [item] = response.json()["order"]["items"]
    assert (item["name"], item["unit_price"]) == ("Product 0", "100.00")
    assert response.json()["order"]["shipping_address"]["line1"] == "12 MG Road"


async def test_an_empty_cart_cannot_be_checked_out(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    buyer = await add_buyer(app, sessions)

    response = await checkout(client, buyer)

    assert response.status_code == 409
    assert response.json()["code"] == "empty_cart"
    assert await stored_orders(sessions) == []


async def test_a_price_that_rose_is_confirmed_by_retrying(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [dearer, same] = await add_products(sessions, 2, price="120.00")
    buyer = await add_buyer(app, sessions)
    await fill_cart(
        sessions, buyer.user_id, {dearer: 2, same: 1}, added_prices={dearer: Decimal("100.00")}
    )
    key = new_key()

    refused = await checkout(client, buyer, key)

    assert refused.status_code == 409
    assert refused.json() == {
        "status": "error",
        "message": refused.json()["message"],
        "code": "price_changed",
        "items": [
            {"product_id": str(dearer), "added_unit_price": "100.00", "unit_price": "120.00"}
        ],
    }
    assert await stored_orders(sessions) == []
    assert await stock(sessions, dearer) == 10
    assert await cart_lines(sessions, buyer.user_id) == {
        dearer: (2, Decimal("120.00")),
        same: (1, Decimal("120.00")),
    }

    accepted = await checkout(client, buyer, key)  # the same key: the refusal was not kept

    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["order"]["total"] == "360.00"
    assert "Idempotent-Replayed" not in accepted.headers


async def test_a_price_that_fell_passes_at_the_lower_price(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, price="100.00", discount_price="80.00")
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {product: 1}, added_prices={product: Decimal("100")})

    order = await placed(client, buyer)

    assert (order["subtotal"], order["discount"], order["total"]) == ("100.00", "20.00", "80.00")


async def test_short_lines_are_all_listed_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await ensure_category(sessions)
    plenty = await add_product(sessions, "Plenty", stock_quantity=50)
    few = await add_product(sessions, "Few", stock_quantity=2)
    gone = await add_product(sessions, "Gone", stock_quantity=0)
    retired = await add_product(sessions, "Retired", stock_quantity=9, is_active=False)
    buyer = await add_buyer(app, sessions)
    cart = {plenty: 1, few: 3, gone: 1}
    await fill_cart(sessions, buyer.user_id, cart)

    response = await checkout(client, buyer)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert sorted(body["items"], key=lambda item: item["available"]) == [
        {"product_id": str(gone), "requested": 1, "available": 0},
        {"product_id": str(few), "requested": 3, "available": 2},
    ]
    assert [await stock(sessions, p) for p in (plenty, few, gone)] == [50, 2, 0]
    assert {p: q for p, (q, _) in (await cart_lines(sessions, buyer.user_id)).items()} == cart
    assert await stored_orders(sessions) == []
    assert await events_of_type(sessions, "order.created") == []

    await fill_cart(sessions, buyer.user_id, {retired: 1})
    response = await checkout(client, buyer)

    assert {"product_id": str(retired), "requested": 1, "available": 0} in response.json()["items"]
    assert await stock(sessions, retired) == 9


async def test_another_users_address_is_not_found_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1)
    buyer, other = await add_buyers(app, sessions, 2)
    await fill_cart(sessions, buyer.user_id, {product: 1})

    response = await checkout(client, buyer, address_id=str(other.address_id))

    assert response.status_code == 404
    assert await stored_orders(sessions) == []
    assert await stock(sessions, product) == 10
    assert len(await cart_lines(sessions, buyer.user_id)) == 1


async def test_a_buyer_holds_at_most_three_unpaid_orders(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1)
    buyer = await add_buyer(app, sessions)
    for _ in range(3):
        await fill_cart(sessions, buyer.user_id, {product: 1})
        await placed(client, buyer)
    await fill_cart(sessions, buyer.user_id, {product: 1})

    response = await checkout(client, buyer)

    assert response.status_code == 409
    assert response.json()["code"] == "too_many_pending_orders"
    assert "3 orders" in response.json()["message"]
    assert len(await stored_orders(sessions)) == 3
    assert await stock(sessions, product) == 7
    assert len(await cart_lines(sessions, buyer.user_id)) == 1


async def test_the_body_refuses_unknown_fields_and_client_prices(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    buyer = await add_buyer(app, sessions)

    priced = await checkout(client, buyer, total="1.00")
    not_an_id = await checkout(client, buyer, address_id="home")

    assert priced.status_code == 400
    assert priced.json()["errors"] == [{"field": "total", "message": "Unknown field."}]
    assert not_an_id.status_code == 400
    assert not_an_id.json()["errors"][0]["field"] == "address_id"


async def test_checkout_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        ORDERS, json={"address_id": str(uuid.uuid4())}, headers={"Idempotency-Key": new_key()}
    )

    assert response.status_code == 401


async def test_a_five_line_checkout_sends_at_most_15_statements(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    products = await add_products(sessions, 5)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, dict.fromkeys(products, 2))

    with counted_statements(app) as log:
        response = await checkout(client, buyer)

    assert response.status_code == 201, response.text
    assert len(response.json()["order"]["items"]) == 5
    assert log.count <= 15, "\n\n".join(log.statements)


async def test_200_buyers_of_10_units_make_exactly_10_orders(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    [product] = await add_products(sessions, 1, stock_quantity=10)
    buyers = await add_buyers(app, sessions, 200)
    for buyer in buyers:
        await fill_cart(sessions, buyer.user_id, {product: 1})

    responses = await asyncio.gather(*(checkout(client, buyer) for buyer in buyers))

    statuses = [response.status_code for response in responses]
    assert statuses.count(201) == 10
    assert statuses.count(409) == 190
    refused = next(response for response in responses if response.status_code == 409)
    assert refused.json()["code"] == "insufficient_stock"
    assert refused.json()["items"] == [{"product_id": str(product), "requested": 1, "available": 0}]
    assert await stock(sessions, product) == 0
    assert len(await stored_orders(sessions)) == 10
