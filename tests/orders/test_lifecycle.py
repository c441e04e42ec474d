"""After checkout: history, details, cancellation, the state machine, expiry, admin changes and
the notifications each one sends, as the buyer and the shop see them."""

import asyncio
import time
import uuid
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import Role
from storefront.core.database import unit_of_work
from storefront.orders.expiry import expire_due_orders
from tests.catalog.conftest import user_headers
from tests.orders.conftest import (
    ORDERS,
    Buyer,
    add_buyer,
    add_products,
    age_order,
    events_of_type,
    fill_cart,
    placed,
    set_order_status,
    stock,
    stored_timeline,
)
from tests.smtp_sink import SmtpSink

ADMIN_ORDERS = "/api/v1/admin/orders"


async def one_order(
    app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    **buyer: bool,
) -> tuple[Buyer, dict[str, object], uuid.UUID]:
    [product] = await add_products(sessions, 1, stock_quantity=5)
    owner = await add_buyer(app, sessions, **buyer)
    await fill_cart(sessions, owner.user_id, {product: 2})
    return owner, await placed(client, owner), product


async def admin(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    return await user_headers(app, sessions, "shop_admin", Role.ADMIN)


async def test_history_lists_own_orders_newest_first_and_filters_by_status(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    products = await add_products(sessions, 3, stock_quantity=5)
    buyer = await add_buyer(app, sessions)
    orders = []
    for product in products:
        await fill_cart(sessions, buyer.user_id, {product: 1})
        orders.append(await placed(client, buyer))
    other = await add_buyer(app, sessions, prefix="other")
    await fill_cart(sessions, other.user_id, {products[0]: 1})
    await placed(client, other)
    await set_order_status(sessions, str(orders[0]["order_id"]), "cancelled")

    listed = await client.get(ORDERS, headers=buyer.headers, params={"page_size": 2})
    pending = await client.get(ORDERS, headers=buyer.headers, params={"status": "cancelled"})

    assert listed.status_code == 200
    body = listed.json()
    assert [o["order_id"] for o in body["orders"]] == [orders[2]["order_id"], orders[1]["order_id"]]
    assert body["pagination"] == {"page": 1, "page_size": 2, "total_items": 3, "total_pages": 2}
    assert [o["order_id"] for o in pending.json()["orders"]] == [orders[0]["order_id"]]
    bad = await client.get(ORDERS, headers=buyer.headers, params={"status": "lost"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "status"


async def test_another_users_order_is_not_found_for_every_verb(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, order, _ = await one_order(app, sessions, client)
    stranger = await add_buyer(app, sessions, prefix="stranger")
    url = f"{ORDERS}/{order['order_id']}"

    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.post(f"{url}/cancel", headers=stranger.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert [row[1] for row in await stored_timeline(sessions, str(order["order_id"]))] == [
        "pending_payment"
    ]


async def test_the_owner_cancels_and_the_stock_comes_back_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    owner, order, product = await one_order(app, sessions, client)
    url = f"{ORDERS}/{order['order_id']}"
    assert await stock(sessions, product) == 3

    cancelled = await client.post(f"{url}/cancel", headers=owner.headers)
    again = await client.post(f"{url}/cancel", headers=owner.headers)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["order"]["status"] == "cancelled"
    assert again.status_code == 409
    assert again.json()["message"] == "Cannot change an order from cancelled to cancelled."
    assert await stock(sessions, product) == 5
    detail = (await client.get(url, headers=owner.headers)).json()["order"]
    assert [(e["from_status"], e["to_status"], e["actor_type"]) for e in detail["timeline"]] == [
        (None, "pending_payment", "user"),
        ("pending_payment", "cancelled", "user"),
    ]
    messages = await smtp_sink.wait_for(2)
    assert {m["To"] for m in messages} == {owner.email}
    assert any("cancelled" in str(m["Subject"]) for m in messages)


async def test_concurrent_cancellations_release_stock_once(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, order, product = await one_order(app, sessions, client)
    url = f"{ORDERS}/{order['order_id']}/cancel"

    responses = await asyncio.gather(*(client.post(url, headers=owner.headers) for _ in range(8)))

    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    assert await stock(sessions, product) == 5


async def test_cancelling_a_paid_order_asks_payments_for_a_refund(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, order, product = await one_order(app, sessions, client)
    await set_order_status(sessions, str(order["order_id"]), "paid")

    response = await client.post(f"{ORDERS}/{order['order_id']}/cancel", headers=owner.headers)

    assert response.status_code == 200
    assert await stock(sessions, product) == 5
    [event] = await events_of_type(sessions, "order.cancelled")
    assert event["order_id"] == order["order_id"]
    assert event["previous_status"] == "paid"


async def test_expiry_releases_stock_once_even_with_two_workers(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    owner, order, product = await one_order(app, sessions, client)
    fresh_owner, fresh, _ = await one_order(app, sessions, client)
    await age_order(sessions, str(order["order_id"]))

    async def run_job() -> int:
        async with unit_of_work(sessions) as session:
            return await expire_due_orders(session)

    expired = await asyncio.gather(run_job(), run_job())

    assert sum(expired) == 1
    assert await stock(sessions, product) == 5
    detail = await client.get(f"{ORDERS}/{order['order_id']}", headers=owner.headers)
    assert detail.json()["order"]["status"] == "expired"
    assert detail.json()["order"]["timeline"][-1]["actor_type"] == "system"
    still = await client.get(f"{ORDERS}/{fresh['order_id']}", headers=fresh_owner.headers)
    assert still.json()["order"]["status"] == "pending_payment"
    messages = await smtp_sink.wait_for(3)
    assert any("expired" in str(m["Subject"]) for m in messages if m["To"] == owner.email)


async def test_admin_moves_an_order_along_with_tracking_and_the_buyer_is_told(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    owner, order, _ = await one_order(app, sessions, client, mobile_verified=True)
    await set_order_status(sessions, str(order["order_id"]), "paid")
    headers = await admin(app, sessions)
    text_count = len(_texts_to(app.state.settings.data_dir, owner.mobile))
    url = f"{ADMIN_ORDERS}/{order['order_id']}/status"

    processing = await client.post(url, json={"status": "processing"}, headers=headers)
    untracked = await client.post(url, json={"status": "shipped"}, headers=headers)
    shipped = await client.post(
        url,
        json={"status": "shipped", "tracking_number": "TRK123456", "note": "Courier"},
        headers=headers,
    )
    backwards = await client.post(url, json={"status": "processing"}, headers=headers)

    assert processing.status_code == 200, processing.text
    assert untracked.status_code == 400
    assert untracked.json()["errors"][0]["field"] == "tracking_number"
    assert shipped.status_code == 200
    assert shipped.json()["order"]["tracking_number"] == "TRK123456"
    assert backwards.status_code == 409
    assert backwards.json()["message"] == "Cannot change an order from shipped to processing."
    messages = await smtp_sink.wait_for(3)
    shipped_mail = [m for m in messages if "shipped" in str(m["Subject"])]
    assert shipped_mail
    assert "TRK123456" in shipped_mail[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while len(texts := _texts_to(app.state.settings.data_dir, owner.mobile)) < text_count + 2:
        assert time.monotonic() < deadline, "the status texts did not arrive"
        await asyncio.sleep(0.02)
    assert any("shipped" in text for text in texts)


def _texts_to(data_dir: Path, mobile: str) -> list[str]:
    folder = data_dir / "sms"
    texts = [path.read_text() for path in folder.glob("*.txt")] if folder.exists() else []
    return [text for text in texts if f"To: {mobile}" in text]


async def test_admin_lists_every_order_with_filters(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first, order_a, _ = await one_order(app, sessions, client)
    _, order_b, _ = await one_order(app, sessions, client)
    await set_order_status(sessions, str(order_b["order_id"]), "paid")
    headers = await admin(app, sessions)

    everything = await client.get(ADMIN_ORDERS, headers=headers)
    paid = await client.get(ADMIN_ORDERS, headers=headers, params={"status": "paid"})
    mine = await client.get(ADMIN_ORDERS, headers=headers, params={"user_id": str(first.user_id)})

    assert everything.status_code == 200
    assert {o["order_id"] for o in everything.json()["orders"]} == {
        order_a["order_id"],
        order_b["order_id"],
    }
    assert [o["order_id"] for o in paid.json()["orders"]] == [order_b["order_id"]]
    assert [o["order_id"] for o in mine.json()["orders"]] == [order_a["order_id"]]


async def test_admin_routes_refuse_customers_and_anonymous_callers(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, order, _ = await one_order(app, sessions, client)
    url = f"{ADMIN_ORDERS}/{order['order_id']}/status"

    assert (await client.get(ADMIN_ORDERS)).status_code == 401
    assert (await client.get(ADMIN_ORDERS, headers=owner.headers)).status_code == 403
    refused = await client.post(url, json={"status": "cancelled"}, headers=owner.headers)
    assert refused.status_code == 403
    detail = await client.get(f"{ORDERS}/{order['order_id']}", headers=owner.headers)
    assert detail.json()["order"]["status"] == "pending_payment"
