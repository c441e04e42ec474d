"""A catalog read and a catalog write that overlap, made to overlap deterministically with real
PostgreSQL: neither order may leave a body the write made stale where the next GET finds it.

- A read overtaken by a write: the read's answer is held on its way back from PostgreSQL (a TCP
  proxy in front of the read pool) while a write commits. The read must have taken the cache
  generation before it read, so its stale body goes under the old generation.
- A read inside a write's transaction: the write is held after it flushed and before it commits,
  waiting on a conflicting row that a test transaction has inserted and not committed. The
  generation must move on only after the commit, so the body read in between (the old one) goes
  under the old generation."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storefront.auth.models import Role, User
from storefront.catalog.models import reviews_table
from storefront.core.reads import PoolReader, open_pool
from tests.catalog.cache_backends import settings_on_each_cache  # noqa: F401 (both caches)
from tests.catalog.conftest import add_category, add_product, user_headers
from tests.catalog.test_cache_redis import eventually
from tests.tcp_proxy import TcpProxy

# Only bounds how long a broken test waits for the database to reach the state it sets up.
SETTLE = 15.0


@pytest.fixture
async def product_id(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    await add_category(sessions, "C100", "Clothing")
    return await add_product(sessions, "Wool Socks")


@dataclass(frozen=True)
class ProxiedReads:
    proxy: TcpProxy
    # The backend of the one connection the app's catalog reads now use.
    pid: int


@pytest.fixture
async def proxied_reads(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> AsyncIterator[ProxiedReads]:
    """The running app's catalog reads on one pooled connection that reaches PostgreSQL
    through a proxy (its writes do not)."""
    proxy = TcpProxy(database_url)
    await proxy.up()
    pool = await open_pool(proxy.url, 1)
    reader = app.state.reader
    app.state.reader = PoolReader(pool)
    async with pool.acquire() as connection:
        pid = connection.get_server_pid()
    yield ProxiedReads(proxy, pid)
    app.state.reader = reader
    proxy.resume()
    await pool.close()
    await proxy.down()


@pytest.fixture
async def admin(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    return await user_headers(app, sessions, "the_admin", Role.ADMIN)


async def last_answered(engine: AsyncEngine, pid: int) -> datetime | None:
    """When the backend last finished a statement and went idle (None while it runs one)."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT state, state_change FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            )
        ).one()
    return row.state_change if row.state == "idle" else None


def answered_after(
    engine: AsyncEngine, pid: int, before: datetime
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        answered = await last_answered(engine, pid)
        return answered is not None and answered > before

    return check


async def test_a_read_overtaken_by_a_write_is_not_served_after_the_write(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    proxied_reads: ProxiedReads,
    admin: dict[str, str],
    product_id: uuid.UUID,
) -> None:
    url = f"/api/v1/products/{product_id}"
    proxy, pid = proxied_reads.proxy, proxied_reads.pid
    # Another cache key for the same statement (the detail reads no query parameter): the
    # connection has it prepared, so the held read is a single round trip.
    assert (await client.get(url, params={"warm": "1"})).status_code == 200
    before = await last_answered(engine, pid)
    assert before is not None

    proxy.hold_replies()
    read = asyncio.create_task(client.get(url))
    try:
        # PostgreSQL has answered the read with the product as it was; the answer waits in
        # the proxy while the rename commits and moves the generation on.
        assert await eventually(answered_after(engine, pid, before), SETTLE)
        renamed = await client.patch(
            f"/api/v1/admin/products/{product_id}", json={"name": "Merino Socks"}, headers=admin
        )
    finally:
        proxy.resume()
        overtaken = await read

    assert renamed.status_code == 200
    assert overtaken.json()["product"]["name"] == "Wool Socks"
    assert (await client.get(url)).json()["product"]["name"] == "Merino Socks"


async def waits_having_written(engine: AsyncEngine, holder_pid: int) -> bool:
    """Whether a backend that has written already (it has a transaction id) waits for a lock
    the backend `holder_pid` holds."""
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE :holder = ANY(pg_blocking_pids(pid)) AND backend_xid IS NOT NULL"
            ),
            {"holder": holder_pid},
        )
    return bool(waiting)


async def test_a_read_before_a_write_commits_is_not_served_after_the_commit(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    product_id: uuid.UUID,
) -> None:
    """A review first adds to the product's rating (flushed), then inserts the review row: a
    test transaction holding an uncommitted review by the same author makes that insert wait,
    so the write stands between its flush and its commit until the test rolls back."""
    author = await user_headers(app, sessions)
    async with sessions() as session:
        author_id = await session.scalar(select(User.user_id).where(User.username == "jane_doe"))
    url = f"/api/v1/products/{product_id}"
    review = {"rating": 4, "title": "Warm"}

    async with engine.connect() as holder:
        await holder.execute(
            insert(reviews_table).values(
                review_id=uuid.uuid4(), product_id=product_id, user_id=author_id, **review
            )
        )
        holder_pid = await holder.scalar(text("SELECT pg_backend_pid()"))
        assert isinstance(holder_pid, int)
        posted = asyncio.create_task(client.post(f"{url}/reviews", json=review, headers=author))
        try:
            # The review's rating update is flushed; its insert waits for the test's row.
            assert await eventually(partial(waits_having_written, engine, holder_pid), SETTLE)
            during = await client.get(url)
        finally:
            await holder.rollback()
            created = await posted

    assert created.status_code == 201
    assert during.json()["product"]["rating_count"] == 0
    assert (await client.get(url)).json()["product"]["rating_count"] == 1
