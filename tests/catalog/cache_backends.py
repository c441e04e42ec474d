"""A `settings` fixture for test modules that must hold on both catalog cache backends: import
it into the module, and every test there runs on the in-process cache and on Redis."""

import pytest
from redis.asyncio import Redis

from storefront.core.config import Settings


@pytest.fixture(name="settings", params=["in-process", "redis"])
async def settings_on_each_cache(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "in-process":
        return settings
    redis_url: str = request.getfixturevalue("redis_url")
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    return settings.model_copy(update={"redis_url": redis_url})
