"""Catalog test helpers: typed factories that write through the database, users with tokens,
and (re-exported) the counter of the SQL statements a request sends."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import Role, User
from storefront.auth.tokens import issue_access_token
from storefront.catalog.models import categories_table, products_table
from storefront.core.database import unit_of_work
from storefront.core.statement_count import counted_statements

__all__ = ["add_category", "add_product", "counted_statements", "user_headers"]

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


async def add_category(
    sessions: async_sessionmaker[AsyncSession],
    category_id: str,
    name: str,
    parent_id: str | None = None,
) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            insert(categories_table).values(category_id=category_id, name=name, parent_id=parent_id)
        )


async def add_product(
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    *,
    category_id: str = "C100",
    brand: str = "Acme",
    description: str = "",
    price: str = "100.00",
    discount_price: str | None = None,
    stock_quantity: int = 10,
    image_urls: list[str] | None = None,
    rating_sum: int = 0,
    rating_count: int = 0,
    is_active: bool = True,
    age_days: int = 0,
) -> uuid.UUID:
    product_id = uuid.uuid4()
    created_at = BASE_TIME - timedelta(days=age_days)
    async with unit_of_work(sessions) as session:
        await session.execute(
            insert(products_table).values(
                product_id=product_id,
                category_id=category_id,
                slug=f"{name.lower().replace(' ', '-')}-{product_id.hex[:8]}",
                name=name,
                brand=brand,
                description=description,
                price=Decimal(price),
                discount_price=None if discount_price is None else Decimal(discount_price),
                stock_quantity=stock_quantity,
                image_urls=image_urls or [],
                rating_sum=rating_sum,
                rating_count=rating_count,
                is_active=is_active,
                created_at=created_at,
                updated_at=created_at,
            )
        )
    return product_id


async def user_headers(
    app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    username: str = "jane_doe",
    role: Role = Role.CUSTOMER,
) -> dict[str, str]:
    """A user written straight to the database, and a bearer header with a token for them."""
    user_id = uuid.uuid4()
    async with unit_of_work(sessions) as session:
        session.add(
            User(
                user_id=user_id,
                username=username,
                email=f"{username}@example.com",
                mobile=f"9{user_id.int % 10**9:09d}",
                password_hash="not-a-real-hash",
                role=role,
            )
        )
    token = issue_access_token(
        app.state.auth.secret_key, user_id, role, 1, 3600, session_id=uuid.uuid4()
    )
    return {"Authorization": f"Bearer {token}"}
