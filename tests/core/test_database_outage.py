"""PostgreSQL hung, cut off or too slow while the API runs: 503 in the envelope with
Retry-After, never a 500 or a hang, and service again once it is back, without a restart. The
database is reached through a proxy the test pauses or takes down (the server is shared)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storefront.app import create_app
from storefront.core.config import Settings
from tests.catalog.conftest import add_category, user_headers
from tests.conftest import serving
from tests.tcp_proxy import TcpProxy

# Short, so the test runs quickly; the guard only turns a hang into a failure.
TIMEOUT_SECONDS = 0.5
GUARD_SECONDS = 30
T = TypeVar("T")


@pytest.fixture
async def database_proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(database_url)
    await proxy.up()
    yield proxy
    proxy.resume()
    await proxy.down()


@pytest.fixture
def app(settings: Settings, database_proxy: TcpProxy) -> FastAPI:
    return create_app(
        settings.model_copy(
            update={
                "database_url": database_proxy.url,
                "db_connect_timeout": TIMEOUT_SECONDS,
                "db_statement_timeout": TIMEOUT_SECONDS,
            }
        )
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client


async def answers(client: httpx.AsyncClient, headers: dict[str, str]) -> list[httpx.Response]:
    """A catalog read (the read pool; a new parameter each time, so never from the cache), an
    authenticated read and a write (the engine)."""
    return [
        await client.get("/api/v1/categories/C100", params={"_miss": uuid.uuid4().hex}),
        await client.get("/api/v1/users/me", headers=headers),
        await client.post(
            "/api/v1/auth/login", json={"username_or_email": "jane_doe", "password": "x"}
        ),
    ]


async def guarded(proxy: TcpProxy, requests: Awaitable[T]) -> T:
    """What the requests answer. A hang fails the test, once the database is made to answer
    again (a hung request cannot be cancelled: its rollback would hang too, and the app with it
    as it stops)."""
    task = asyncio.ensure_future(requests)
    done, _ = await asyncio.wait({task}, timeout=GUARD_SECONDS)
    if not done:
        proxy.resume()
        await task
        pytest.fail(f"no answer within {GUARD_SECONDS} s")
    return task.result()


def assert_unavailable(responses: list[httpx.Response]) -> None:
    for response in responses:
        assert response.status_code == 503, (response.request.url, response.text)
        assert response.json() == {
            "status": "error",
            "message": "Service temporarily unavailable. Try again shortly.",
        }
        assert int(response.headers["retry-after"]) > 0


async def assert_served_again(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    async with asyncio.timeout(GUARD_SECONDS):
        category, profile, login = await answers(client, headers)
    assert category.status_code == 200, category.text
    assert profile.status_code == 200, profile.text
    assert login.status_code == 401, login.text


@pytest.fixture
async def headers(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    await add_category(sessions, "C100", "Clothing")
    return await user_headers(app, sessions)


async def test_a_hung_database_is_503_then_served_again(
    client: httpx.AsyncClient, database_proxy: TcpProxy, headers: dict[str, str]
) -> None:
    await assert_served_again(client, headers)  # connections are pooled before the hang
    database_proxy.pause()

    assert_unavailable(await guarded(database_proxy, answers(client, headers)))

    database_proxy.resume()
    await assert_served_again(client, headers)


async def test_a_database_gone_is_503_then_served_again(
    client: httpx.AsyncClient, database_proxy: TcpProxy, headers: dict[str, str]
) -> None:
    await assert_served_again(client, headers)
    await database_proxy.down()  # pooled connections are cut, new ones refused

    assert_unavailable(await guarded(database_proxy, answers(client, headers)))
    assert_unavailable(await guarded(database_proxy, answers(client, headers)))

    await database_proxy.up()
    await assert_served_again(client, headers)


async def test_a_statement_past_the_statement_timeout_is_cancelled_and_503(
    client: httpx.AsyncClient, engine: AsyncEngine, headers: dict[str, str]
) -> None:
    async with engine.connect() as connection, connection.begin():
        # Every statement that reads the accounts now waits for this transaction.
        await connection.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        async with asyncio.timeout(GUARD_SECONDS):
            profile = await client.get("/api/v1/users/me", headers=headers)

    assert_unavailable([profile])
    await assert_served_again(client, headers)
