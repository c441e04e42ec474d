"""Sessions ended before their access tokens expire (logout), by session id (the tokens' `sid`):
in Redis when configured, so every API process refuses them, else in this process."""

import time

from redis.asyncio import Redis

_PREFIX = "storefront:denylist:"


class TokenDenylist:
    def __init__(self, redis: Redis | None) -> None:
        self._redis = redis
        self._local: dict[str, float] = {}

    async def add(self, session_id: str, expires_at: int) -> None:
        ttl = max(1, expires_at - int(time.time()))
        if self._redis is not None:
            await self._redis.set(_PREFIX + session_id, b"1", ex=ttl)
            return
        now = time.time()
        self._local = {key: until for key, until in self._local.items() if until > now}
        self._local[session_id] = now + ttl

    async def contains(self, session_id: str) -> bool:
        if self._redis is not None:
            return bool(await self._redis.exists(_PREFIX + session_id))
        return self._local.get(session_id, 0.0) > time.time()
