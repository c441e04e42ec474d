"""Orders test helpers: buyers with an address and a token, carts filled through the cart's
tables, checkout calls, and reads of what the database holds afterwards."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import Role, User
from storefront.auth.tokens import issue_access_token
from storefront.catalog.models import products_table
from storefront.core.config import Settings
from storefront.core.database import unit_of_work
from storefront.core.events.models import OutboxEvent
from storefront.orders.models import order_lines_table, orders_table, timeline_table
from storefront.users.models import Address, AddressLabel
from tests.catalog.conftest import add_product
from tests.smtp_sink import SmtpSink

ORDERS = "/api/v1/orders"


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_sink.url, "outbox_poll_seconds": 0.05})


@dataclass(frozen=True)
class Buyer:
    user_id: uuid.UUID
    username: str
    email: str
    mobile: str
    address_id: uuid.UUID
    headers: dict[str, str]


def new_key() -> str:
    return f"test-{uuid.uuid4()}"


async def add_buyers(
    app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    *,
    prefix: str = "buyer",
    role: Role = Role.CUSTOMER,
    mobile_verified: bool = False,
) -> list[Buyer]:
    """Users written straight to the database, each with one address and a bearer token."""
    buyers = []
    async with unit_of_work(sessions) as session:
        for number in range(count):
            user_id = uuid.uuid4()
            username = f"{prefix}_{number}_{user_id.hex[:6]}"[:20]
            mobile = f"+9198{user_id.int % 10**8:08d}"
            session.add(
                User(
                    user_id=user_id,
                    username=username,
                    email=f"{username}@example.com",
                    mobile=mobile,
                    password_hash="not-a-real-hash",
                    role=role,
                    is_email_verified=True,
                    is_mobile_verified=mobile_verified,
                )
            )
            address_id = uuid.uuid4()
            session.add(
                Address(
                    address_id=address_id,
                    user_id=user_id,
                    full_name=f"Buyer {number}",
                    mobile=mobile,
                    line1="12 MG Road",
                    line2=None,
                    landmark="Near the park",
                    city="Bengaluru",
                    state="Karnataka",
                    postal_code="560001",
                    country="IN",
                    label=AddressLabel.HOME,
                    is_default=True,
                )
            )
            token = issue_access_token(
                app.state.auth.secret_key, user_id, role, 1, 3600, session_id=uuid.uuid4()
            )
            buyers.append(
                Buyer(
                    user_id,
                    username,
                    f"{username}@example.com",
                    mobile,
                    address_id,
                    {"Authorization": f"Bearer {token}"},
                )
            )
            if number % 50 == 49:
                await session.flush()
    return buyers


async def add_buyer(
    app: FastAPI, sessions: async_sessionmaker[AsyncSession], **options: Any
) -> Buyer:
    return (await add_buyers(app, sessions, 1, **options))[0]


async def fill_cart(
    sessions: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    lines: Mapping[uuid.UUID, int],
    *,
    added_prices: Mapping[uuid.UUID, Decimal] | None = None,
) -> None:
    """Put lines in the user's cart, each at the product's current unit price unless
    `added_prices` says otherwise (the price the buyer saw when adding it)."""
    async with unit_of_work(sessions) as session:
        cart_id = await session.scalar(
            text(
                "INSERT INTO carts (cart_id, user_id) VALUES (:cart_id, :user_id) "
                "ON CONFLICT (user_id) DO UPDATE SET updated_at = now() RETURNING cart_id"
            ),
            {"cart_id": uuid.uuid4(), "user_id": user_id},
        )
        rows = await session.execute(
            select(
                products_table.c.product_id,
                func.coalesce(products_table.c.discount_price, products_table.c.price),
            ).where(products_table.c.product_id.in_(list(lines)))
        )
        prices = {product_id: price for product_id, price in rows}
        for product_id, quantity in lines.items():
            price = (added_prices or {}).get(product_id, prices[product_id])
            await session.execute(
                text(
                    "INSERT INTO cart_items (item_id, cart_id, product_id, quantity, "
                    "added_unit_price, currency) VALUES (:item_id, :cart_id, :product_id, "
                    ":quantity, :price, 'INR')"
                ),
                {
                    "item_id": uuid.uuid4(),
                    "cart_id": cart_id,
                    "product_id": product_id,
                    "quantity": quantity,
                    "price": price,
                },
            )


async def cart_lines(
    sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID
) -> dict[uuid.UUID, tuple[int, Decimal]]:
    """The user's cart as product -> (quantity, added unit price)."""
    async with sessions() as session:
        rows = await session.execute(
            text(
                "SELECT i.product_id, i.quantity, i.added_unit_price FROM cart_items AS i "
                "JOIN carts AS c ON c.cart_id = i.cart_id WHERE c.user_id = :user_id"
            ),
            {"user_id": user_id},
        )
        return {row.product_id: (row.quantity, row.added_unit_price) for row in rows}


async def checkout(
    client: httpx.AsyncClient, buyer: Buyer, key: str | None = None, **body: Any
) -> httpx.Response:
    headers = buyer.headers | {"Idempotency-Key": key or new_key()}
    return await client.post(
        ORDERS, json={"address_id": str(buyer.address_id), **body}, headers=headers
    )


async def placed(client: httpx.AsyncClient, buyer: Buyer) -> dict[str, Any]:
    response = await checkout(client, buyer)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()["order"]
    return order


async def stock(sessions: async_sessionmaker[AsyncSession], product_id: uuid.UUID) -> int:
    async with sessions() as session:
        quantity = await session.scalar(
            select(products_table.c.stock_quantity).where(products_table.c.product_id == product_id)
        )
        assert quantity is not None
        return int(quantity)


async def stored_orders(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    async with sessions() as session:
        return list(
            (await session.execute(select(orders_table).order_by(orders_table.c.created_at))).all()
        )


async def stored_lines(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    async with sessions() as session:
        return list((await session.execute(select(order_lines_table))).all())


async def stored_timeline(
    sessions: async_sessionmaker[AsyncSession], order_id: uuid.UUID | str
) -> list[tuple[str | None, str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(
                timeline_table.c.from_status,
                timeline_table.c.to_status,
                timeline_table.c.actor_type,
            )
            .where(timeline_table.c.order_id == uuid.UUID(str(order_id)))
            .order_by(timeline_table.c.at)
        )
        return [tuple(row) for row in rows]


async def events_of_type(
    sessions: async_sessionmaker[AsyncSession], event_type: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.event_type == event_type)
            .order_by(OutboxEvent.created_at)
        )
        return list(rows)


async def set_order_status(
    sessions: async_sessionmaker[AsyncSession], order_id: uuid.UUID | str, status: str
) -> None:
    """Put an order straight into a status (to start a transition test from it)."""
    async with unit_of_work(sessions) as session:
        await session.execute(
            orders_table.update()
            .where(orders_table.c.order_id == uuid.UUID(str(order_id)))
            .values(status=status)
        )


async def age_order(
    sessions: async_sessionmaker[AsyncSession], order_id: uuid.UUID | str, minutes: int = 31
) -> None:
    """Move an order's payment deadline into the past, as if `minutes` had passed."""
    async with unit_of_work(sessions) as session:
        await session.execute(
            orders_table.update()
            .where(orders_table.c.order_id == uuid.UUID(str(order_id)))
            .values(expires_at=orders_table.c.expires_at - timedelta(minutes=minutes))
        )


async def add_products(
    sessions: async_sessionmaker[AsyncSession], count: int, **options: Any
) -> list[uuid.UUID]:
    await ensure_category(sessions)
    return [await add_product(sessions, f"Product {n}", **options) for n in range(count)]


async def ensure_category(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            text(
                "INSERT INTO categories (category_id, name) VALUES ('C100', 'Clothing') "
                "ON CONFLICT DO NOTHING"
            )
        )
