"""Rate limiting against both backends (process memory, and real Redis when configured), its
fail-open behaviour when Redis is down, and the 429 it produces through the real app."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from redis.asyncio import Redis

from storefront.core.errors import TooManyRequests
from storefront.core.http import API_PREFIX
from storefront.core.rate_limit import RateLimiter, client_ip


@pytest.fixture(params=["memory", "redis"])
def backend_url(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture
async def limiter(backend_url: str | None) -> AsyncIterator[RateLimiter]:
    limiter = RateLimiter.from_url(backend_url)
    yield limiter
    await limiter.aclose()


@pytest.fixture
def key() -> str:
    """A key of this test's own, so runs sharing a Redis database don't count each other."""
    return uuid.uuid4().hex


async def test_allows_the_limit_then_refuses_with_retry_after(
    limiter: RateLimiter, key: str
) -> None:
    for _ in range(3):
        await limiter.hit("3/minute", "login", key)

    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit("3/minute", "login", key)

    retry_after = int(refused.value.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.value.message == f"Too many attempts. Try again in {retry_after} seconds."


async def test_keys_are_counted_separately(limiter: RateLimiter, key: str) -> None:
    await limiter.hit("1/minute", "login", key)

    await limiter.hit("1/minute", "login", key + "-other")
    await limiter.hit("1/minute", "otp", key)
    with pytest.raises(TooManyRequests):
        await limiter.hit("1/minute", "login", key)


async def test_hits_pass_again_once_the_window_has_moved_on(limiter: RateLimiter, key: str) -> None:
    await limiter.hit("2/second", key)
    await limiter.hit("2/second", key)
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit("2/second", key)
    assert refused.value.headers["Retry-After"] == "1"

    await asyncio.sleep(1.1)

    await limiter.hit("2/second", key)


async def test_reset_forgets_every_count(limiter: RateLimiter, key: str) -> None:
    await limiter.hit("1/minute", key)

    await limiter.reset()

    await limiter.hit("1/minute", key)


async def test_limiters_on_the_same_redis_share_counts(redis_url: str, key: str) -> None:
    """What makes a limit hold across API processes."""
    first, second = RateLimiter.from_url(redis_url), RateLimiter.from_url(redis_url)
    try:
        await first.hit("2/minute", key)
        await second.hit("2/minute", key)

        with pytest.raises(TooManyRequests):
            await first.hit("2/minute", key)
        with pytest.raises(TooManyRequests):
            await second.hit("2/minute", key)
    finally:
        await first.aclose()
        await second.aclose()


async def test_keys_live_under_the_storefront_prefix(redis_url: str, key: str) -> None:
    limiter = RateLimiter.from_url(redis_url)
    redis = Redis.from_url(redis_url)
    try:
        await limiter.hit("1/minute", "login", key)
        stored = await redis.keys(f"*{key}*")
        namespaced = await redis.keys(f"storefront:rl:*{key}*")
    finally:
        await limiter.aclose()
        await redis.aclose()

    assert len(stored) == 1
    assert namespaced == stored


async def test_unreachable_redis_fails_open_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RateLimiter.from_url("redis://:s3cret-pass@127.0.0.1:1/0")
    try:
        with caplog.at_level(logging.WARNING, logger="storefront.core.rate_limit"):
            for _ in range(3):
                await limiter.hit("1/minute", "login", "203.0.113.9")
    finally:
        await limiter.aclose()

    warnings = [r for r in caplog.records if r.name == "storefront.core.rate_limit"]
    assert len(warnings) == 3
    assert all(r.levelno == logging.WARNING for r in warnings)
    assert "ConnectionError" in caplog.text
    assert "s3cret-pass" not in caplog.text


def test_client_ip_is_the_peer_not_a_forwarded_header() -> None:
    forwarded = [(b"x-forwarded-for", b"198.51.100.7")]
    scope = {"type": "http", "client": ("203.0.113.9", 5000), "headers": forwarded}

    assert client_ip(Request(scope)) == "203.0.113.9"
    assert client_ip(Request({"type": "http", "client": None, "headers": []})) == "unknown"


probe = APIRouter(prefix=API_PREFIX)


@probe.post("/probe/login")
async def probe_login(request: Request) -> dict[str, str]:
    limiter: RateLimiter = request.app.state.auth.limiter
    await limiter.hit("2/minute", "probe", client_ip(request))
    return {"status": "success"}


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(probe)  # the app's own limiter is built at start-up
    return app


async def test_over_the_limit_is_429_with_retry_after(client: httpx.AsyncClient) -> None:
    for forwarded_for in ("198.51.100.1", "198.51.100.2"):
        response = await client.post(
            "/api/v1/probe/login", headers={"X-Forwarded-For": forwarded_for}
        )
        assert response.status_code == 200

    response = await client.post("/api/v1/probe/login", headers={"X-Forwarded-For": "198.51.100.3"})

    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert response.json() == {
        "status": "error",
        "message": f"Too many attempts. Try again in {retry_after} seconds.",
    }


async def test_a_disabled_limiter_allows_everything() -> None:
    limiter = RateLimiter.from_url(None, enabled=False)

    for _ in range(5):
        await limiter.hit("1/minute", "load-test")
