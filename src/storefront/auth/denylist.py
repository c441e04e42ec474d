"""Access tokens revoked before they expire (logout), by jti: in Redis when configured, so every
API process refuses them, else in this process."""

import time

from redis.asyncio import Redis

_PREFIX = "storefront:denylist:"


class TokenDenylist:
    def __init__(self, redis: Redis | None) -> None:
        self._redis = redis
        self._local: dict[str, float] = {}

    async def add(self, jti: str, expires_at: int) -> None:
        ttl = max(1, expires_at - int(time.time()))
        if self._redis is not None:
            await self._redis.set(_PREFIX + jti, b"1", ex=ttl)
            return
        now = time.time()
        self._local = {key: until for key, until in self._local.items() if until > now}
        self._local[jti] = now + ttl

    async def contains(self, jti: str) -> bool:
        if self._redis is not None:
            return bool(await self._redis.exists(_PREFIX + jti))
        return self._local.get(jti, 0.0) > time.time()
