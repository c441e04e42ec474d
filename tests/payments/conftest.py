"""Payments test helpers: an order awaiting payment, a payment started through the API, and
readers of what the database and the SMTP sink then hold."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from storefront.payments.gateways.sandbox import SandboxGateway
from storefront.payments.models import PaymentAttempt, PaymentRefund, PaymentWebhookEvent
from tests.orders.conftest import Buyer, add_buyer, add_products, fill_cart, new_key, placed
from tests.smtp_sink import SmtpSink


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_sink.url, "outbox_poll_seconds": 0.05})


@dataclass(frozen=True)
class Purchase:
    buyer: Buyer
    order_id: str
    product_id: uuid.UUID
    payment: dict[str, Any]


def sandbox(app: FastAPI) -> SandboxGateway:
    gateway = app.state.payments.gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


async def start_payment(
    client: httpx.AsyncClient, buyer: Buyer, order_id: str, key: str | None = None
) -> httpx.Response:
    return await client.post(
        f"/api/v1/orders/{order_id}/payments",
        headers=buyer.headers | {"Idempotency-Key": key or new_key()},
    )


async def purchase(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    *,
    price: str = "100.00",
    stock_quantity: int = 5,
) -> Purchase:
    """An order of one unit awaiting payment, and a payment attempt started for it."""
    [product] = await add_products(sessions, 1, price=price, stock_quantity=stock_quantity)
    buyer = await add_buyer(app, sessions)
    await fill_cart(sessions, buyer.user_id, {product: 1})
    order = await placed(client, buyer)
    started = await start_payment(client, buyer, str(order["order_id"]))
    assert started.status_code == 201, started.text
    return Purchase(buyer, str(order["order_id"]), product, started.json()["payment"])


async def confirm(
    client: httpx.AsyncClient, purchase: Purchase, confirmation: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/payments/{purchase.payment['payment_id']}/confirm",
        json=confirmation,
        headers=purchase.buyer.headers,
    )


async def order_of(client: httpx.AsyncClient, purchase: Purchase) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/orders/{purchase.order_id}", headers=purchase.buyer.headers
    )
    order: dict[str, Any] = response.json()["order"]
    return order


async def attempts(sessions: async_sessionmaker[AsyncSession]) -> list[PaymentAttempt]:
    async with sessions() as session:
        return list((await session.scalars(select(PaymentAttempt))).all())


async def refunds(sessions: async_sessionmaker[AsyncSession]) -> list[PaymentRefund]:
    async with sessions() as session:
        return list((await session.scalars(select(PaymentRefund))).all())


async def webhook_events(sessions: async_sessionmaker[AsyncSession]) -> list[PaymentWebhookEvent]:
    async with sessions() as session:
        return list((await session.scalars(select(PaymentWebhookEvent))).all())


def receipts(sink: SmtpSink, to: str) -> list[str]:
    return [
        str(message["Subject"])
        for message in sink.messages
        if message["To"] == to and "receipt" in str(message["Subject"])
    ]
