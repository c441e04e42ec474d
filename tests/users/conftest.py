"""Profile and address-book tests go through HTTP like the accounts tests, reusing their helpers,
and read outcomes from the database."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import User
from storefront.core.config import Settings
from storefront.users.models import Address
from tests.auth.conftest import logged_in
from tests.smtp_sink import SmtpSink

JANE = {"username": "jane_doe", "email": "jane.doe@example.com", "mobile": "9812345678"}


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_sink.url, "outbox_poll_seconds": 0.05})


async def jane(client: httpx.AsyncClient) -> dict[str, Any]:
    """A second account, logged in."""
    return await logged_in(client, **JANE)


def address_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "full_name": "John Doe",
        "mobile": "9876543210",
        "line1": "12 MG Road",
        "city": "Bengaluru",
        "state": "Karnataka",
        "postal_code": "560001",
    }
    return body | overrides


async def add_address(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/users/me/addresses", json=address_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    address: dict[str, Any] = response.json()["address"]
    return address


async def stored_user(sessions: async_sessionmaker[AsyncSession], user_id: str) -> User:
    async with sessions() as session:
        return await session.get_one(User, uuid.UUID(user_id))


async def stored_addresses(sessions: async_sessionmaker[AsyncSession]) -> list[Address]:
    async with sessions() as session:
        return list((await session.scalars(select(Address).order_by(Address.created_at))).all())
