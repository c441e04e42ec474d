"""Redis cut off while the API runs: accounts keep working, and a logout is still recorded (the
denylist lives in PostgreSQL; Redis only holds caches and rate limit counts)."""

from collections.abc import AsyncIterator

import httpx
import pytest

from storefront.app import create_app
from storefront.core.config import Settings
from tests.auth.conftest import PASSWORD, login, register
from tests.conftest import serving
from tests.tcp_proxy import TcpProxy


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(redis_url)
    await proxy.up()
    yield proxy
    await proxy.down()


@pytest.fixture
async def client(settings: Settings, redis_proxy: TcpProxy) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"redis_url": redis_proxy.url}))
    async with serving(app) as client:
        yield client


async def test_with_redis_down_accounts_work_and_logout_is_recorded(
    client: httpx.AsyncClient, redis_proxy: TcpProxy
) -> None:
    await register(client)
    await redis_proxy.down()

    tokens = (await login(client, "john_doe", PASSWORD)).json()
    headers = {"Authorization": f"Bearer {tokens['token']}"}
    profile = await client.get("/api/v1/users/me", headers=headers)
    logout = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers
    )
    await redis_proxy.up()
    after_logout = await client.get("/api/v1/users/me", headers=headers)

    assert profile.status_code == 200, profile.text
    assert profile.json()["user"]["username"] == "john_doe"
    assert logout.status_code == 200, logout.text
    assert after_logout.status_code == 401
