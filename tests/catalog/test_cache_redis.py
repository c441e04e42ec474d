"""The Redis catalog cache across processes: two app instances share one Redis, as two API
processes do, and a write through one must reach the cached reads of the other."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.app import create_app
from storefront.auth.models import Role
from storefront.catalog.cache import RedisCatalogCache
from storefront.core.config import Settings
from tests.catalog.conftest import add_category, add_product, user_headers
from tests.conftest import serving


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def settings(settings: Settings, redis_url: str, redis: Redis) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def subscribed(app: FastAPI) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        cache = app.state.catalog_cache
        assert isinstance(cache, RedisCatalogCache)
        return cache.generation is not None

    return check


@pytest.fixture
async def product_id(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    await add_category(sessions, "C100", "Clothing")
    return await add_product(sessions, "Wool Socks")


async def _rename(
    writer: httpx.AsyncClient, admin: dict[str, str], product_id: uuid.UUID, name: str
) -> None:
    response = await writer.patch(
        f"/api/v1/admin/products/{product_id}", json={"name": name}, headers=admin
    )
    assert response.status_code == 200


async def test_a_write_in_one_process_reaches_the_cached_reads_of_another(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], product_id: uuid.UUID
) -> None:
    writer_app, reader_app = create_app(settings), create_app(settings)
    url = f"/api/v1/products/{product_id}"
    async with serving(writer_app) as writer, serving(reader_app) as reader:
        admin = await user_headers(writer_app, sessions, "the_admin", Role.ADMIN)
        assert (await reader.get(url)).json()["product"]["name"] == "Wool Socks"
        assert (await reader.get(url)).json()["product"]["name"] == "Wool Socks"  # cached

        await _rename(writer, admin, product_id, "Merino Socks")

        async def renamed() -> bool:
            return bool((await reader.get(url)).json()["product"]["name"] == "Merino Socks")

        assert await eventually(renamed)
        assert (await writer.get(url)).json()["product"]["name"] == "Merino Socks"


async def _command_calls(redis: Redis) -> dict[str, int]:
    """Calls per Redis command so far, but for INFO itself."""
    stats = await redis.info("commandstats")
    return {name: stat["calls"] for name, stat in stats.items() if name != "cmdstat_info"}


@asynccontextmanager
async def following(settings: Settings, url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app that has served `url` once and follows the generation channel."""
    app = create_app(settings)
    async with serving(app) as client:
        await client.get(url)
        assert await eventually(subscribed(app))
        yield client


async def test_cache_hits_send_nothing_to_redis(
    settings: Settings, redis: Redis, product_id: uuid.UUID
) -> None:
    url = f"/api/v1/products/{product_id}"
    async with following(settings, url) as client:
        await client.get(url)
        before = await _command_calls(redis)

        responses = [await client.get(url) for _ in range(50)]

        after = await _command_calls(redis)
    assert {r.status_code for r in responses} == {200}
    assert after == before


async def test_writes_are_seen_after_the_subscription_drops(
    settings: Settings,
    redis: Redis,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    writer_app, reader_app = create_app(settings), create_app(settings)
    url = f"/api/v1/products/{product_id}"
    async with serving(writer_app) as writer, serving(reader_app) as reader:
        admin = await user_headers(writer_app, sessions, "the_admin", Role.ADMIN)
        await reader.get(url)
        assert await eventually(subscribed(reader_app))

        await redis.client_kill_filter(_type="pubsub")
        await _rename(writer, admin, product_id, "Merino Socks")

        async def renamed() -> bool:
            return bool((await reader.get(url)).json()["product"]["name"] == "Merino Socks")

        assert await eventually(renamed)
        assert await eventually(subscribed(reader_app))
        await _rename(writer, admin, product_id, "Alpaca Socks")

        async def renamed_again() -> bool:
            return bool((await reader.get(url)).json()["product"]["name"] == "Alpaca Socks")

        assert await eventually(renamed_again)


async def test_an_emptied_redis_never_brings_back_an_old_generation(
    settings: Settings,
    redis: Redis,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    """A restarted Redis without persistence loses the generation key: the next process must
    not start from a generation whose entries another process still holds in memory."""
    first_app = create_app(settings)
    url = f"/api/v1/products/{product_id}"
    async with serving(first_app) as first:
        await first.get(url)
        assert await eventually(subscribed(first_app))
        old_generation = first_app.state.catalog_cache.generation
        await redis.flushdb()

        second_app = create_app(settings)
        async with serving(second_app) as second:
            assert (await second.get(url)).status_code == 200
            assert await eventually(subscribed(second_app))
            assert second_app.state.catalog_cache.generation != old_generation

            admin = await user_headers(second_app, sessions, "the_admin", Role.ADMIN)
            await _rename(second, admin, product_id, "Merino Socks")

            async def renamed() -> bool:
                return bool((await first.get(url)).json()["product"]["name"] == "Merino Socks")

            assert await eventually(renamed)


async def test_concurrent_misses_share_redis_round_trips(
    settings: Settings, redis: Redis, product_id: uuid.UUID
) -> None:
    url = f"/api/v1/products/{product_id}"
    async with following(settings, url) as client:
        before = await _command_calls(redis)

        responses = await asyncio.gather(*(client.get(f"{url}?n={n}") for n in range(40)))

        after = await _command_calls(redis)
    assert {r.status_code for r in responses} == {200}
    mgets = after.get("cmdstat_mget", 0) - before.get("cmdstat_mget", 0)
    sets = after["cmdstat_set"] - before.get("cmdstat_set", 0)
    assert 1 <= mgets < 40
    assert sets == 40
