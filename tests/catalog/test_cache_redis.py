"""The Redis catalog cache across processes: two app instances share one Redis, as two API
processes do, and a write through one must reach the cached reads of the other."""

import asyncio
import secrets
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.app import create_app
from storefront.auth.models import Role
from storefront.catalog.cache import GENERATION_KEY, RedisCatalogCache
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


@pytest.fixture
def client_name() -> str:
    """A name for the app's Redis connections, its own even among parallel test runs."""
    return f"storefront-test-{secrets.token_hex(6)}"


@asynccontextmanager
async def commands_sent(redis: Redis, client_name: str) -> AsyncIterator[Counter[str]]:
    """The commands, by name, that connections named `client_name` send while the block runs,
    as MONITOR sees them: other clients of the same server are not counted. The counter is
    filled when the block ends."""
    sent: Counter[str] = Counter()
    marker = f"end-of-count-{secrets.token_hex(8)}"
    async with redis.monitor() as monitor:
        yield sent
        clients = await redis.client_list()
        ours = {client["addr"] for client in clients if client["name"] == client_name}
        # Redis runs commands one at a time: everything before the marker has been seen.
        await redis.echo(marker)
        while marker not in (command := await monitor.next_command())["command"]:
            if f"{command['client_address']}:{command['client_port']}" in ours:
                sent[command["command"].split(" ", 1)[0].lower()] += 1


@pytest.fixture
async def busy_redis(redis_url: str) -> AsyncIterator[Counter[str]]:
    """Another client sending the app's kinds of command to the same server all along; how
    many it has sent so far."""
    sent: Counter[str] = Counter()
    other = Redis.from_url(redis_url)
    stop = asyncio.Event()

    async def hammer() -> None:
        while not stop.is_set():
            await other.set("other-client:key", "value")
            await other.mget(["other-client:key", "other-client:missing"])
            await other.get(GENERATION_KEY)
            sent.update(("set", "mget", "get"))

    task = asyncio.create_task(hammer())
    yield sent
    stop.set()
    await task
    await other.aclose()


@asynccontextmanager
async def following(
    settings: Settings, url: str, client_name: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An app, its Redis connections named `client_name`, that has served `url` once and
    follows the generation channel."""
    assert settings.redis_url is not None
    named = f"{settings.redis_url}{'&' if '?' in settings.redis_url else '?'}client_name="
    app = create_app(settings.model_copy(update={"redis_url": named + client_name}))
    async with serving(app) as client:
        await client.get(url)
        assert await eventually(subscribed(app))
        yield client


async def test_cache_hits_send_nothing_to_redis_while_another_client_is_busy(
    settings: Settings,
    redis: Redis,
    busy_redis: Counter[str],
    client_name: str,
    product_id: uuid.UUID,
) -> None:
    url = f"/api/v1/products/{product_id}"
    async with following(settings, url, client_name) as client:
        await client.get(url)
        other_before = busy_redis.total()
        async with commands_sent(redis, client_name) as sent:
            hits = [await client.get(url) for _ in range(50)]
            miss = await client.get(f"{url}?n=1")
        other_during = busy_redis.total() - other_before

    assert {r.status_code for r in [*hits, miss]} == {200}
    assert other_during > 0
    # The one miss, and nothing for the fifty hits.
    assert sent == Counter({"mget": 1, "set": 1})


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


async def test_concurrent_misses_share_redis_round_trips_while_another_client_is_busy(
    settings: Settings,
    redis: Redis,
    busy_redis: Counter[str],
    client_name: str,
    product_id: uuid.UUID,
) -> None:
    url = f"/api/v1/products/{product_id}"
    async with following(settings, url, client_name) as client:
        other_before = busy_redis.total()
        async with commands_sent(redis, client_name) as sent:
            responses = await asyncio.gather(*(client.get(f"{url}?n={n}") for n in range(40)))
        other_during = busy_redis.total() - other_before

    assert {r.status_code for r in responses} == {200}
    assert other_during > 0
    assert 1 <= sent["mget"] < 40
    assert sent["set"] == 40
