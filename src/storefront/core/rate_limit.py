"""Rate limiting on the `limits` library: counts in Redis when configured (shared by every
process), in process memory otherwise (valid for one process only)."""

import logging
import math
import time
from typing import Self

from fastapi import Request
from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from storefront.core.errors import TooManyRequests

logger = logging.getLogger(__name__)

# limits joins prefix and key with ":", so every key in Redis starts with "storefront:rl:".
KEY_PREFIX = "storefront:rl"
# A Redis that does not answer must not hold requests: give up quickly and fail open.
REDIS_TIMEOUT_SECONDS = 1.0


class RateLimiter:
    """Moving-window limits: exact counts over the last window, no burst at a window edge."""

    def __init__(
        self, storage: Storage, pool: ConnectionPool | None = None, *, enabled: bool = True
    ) -> None:
        self._storage = storage
        self._pool = pool
        self._strategy = MovingWindowRateLimiter(storage)
        self._enabled = enabled

    @classmethod
    def from_url(cls, redis_url: str | None, *, enabled: bool = True) -> Self:
        """Redis at `redis_url` (any URL redis-py accepts), or process memory when unset.
        A disabled limiter allows everything (load tests, or a gateway that limits already)."""
        if not redis_url or not enabled:
            return cls(MemoryStorage(), enabled=enabled)
        pool = ConnectionPool.from_url(
            redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        storage = RedisStorage(
            "async+redis://",  # only selects the backend: connections come from the pool
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            wrap_exceptions=True,
            connection_pool=pool,  # type: ignore[arg-type]  # documented, typed too narrowly
        )
        return cls(storage, pool)

    async def hit(self, limit: str, *keys: str) -> None:
        """Count one hit of `limit` ("5/minute") for `keys`; raise TooManyRequests when over.

        When the storage is unreachable the hit is allowed (and logged): an outage of the
        limiter must not turn every request into an error.
        """
        if not self._enabled:
            return
        item = parse(limit)
        try:
            if await self._strategy.hit(item, *keys):
                return
            stats = await self._strategy.get_window_stats(item, *keys)
        except StorageError as exc:
            logger.warning(
                "Rate limit storage unavailable, request allowed (%s): %s",
                type(exc.storage_error).__name__,
                exc.storage_error,
            )
            return
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            retry_after, f"Too many attempts. Try again in {retry_after} seconds."
        )

    async def reset(self) -> None:
        """Forget every count (all keys under the prefix); meant for tests."""
        await self._storage.reset()

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()


def client_ip(request: Request) -> str:
    """The peer address. X-Forwarded-For is deliberately not read here: any client can set it
    to dodge a per-IP limit. Behind a load balancer in STOREFRONT_TRUSTED_PROXIES, the app's
    proxy middleware (core/http/proxies.py) has already made the peer the forwarded client."""
    return request.client.host if request.client else "unknown"
