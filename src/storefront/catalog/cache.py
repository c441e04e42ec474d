"""Cache-aside for the public catalog reads, in Redis or (without STOREFRONT_REDIS_URL) in this
process. Every entry carries the catalog generation it was built under; a catalog write bumps
the generation after its commit, so no entry built before the write is ever served again.
A reader takes the generation before it reads the database, so an entry built from data that
a concurrent write changes is stored under the old generation and never served."""

import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl, urlencode

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from storefront.core.schemas import SuccessResponse

logger = logging.getLogger("storefront.catalog.cache")

TTL_SECONDS = 60
PUBLIC_CACHE = f"public, max-age={TTL_SECONDS}"
LOCAL_MAX_ENTRIES = 4096
GENERATION_KEY = "catalog:generation"
ENTRY_PREFIX = "catalog:entry:"
# Where the middleware leaves a miss's key and generation for the route handler to fill.
SCOPE_TICKET = "storefront.catalog_cache"
_LOG_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class CachedResponse:
    etag: str
    body: bytes


@dataclass(frozen=True)
class Ticket:
    key: str
    generation: str


class CatalogCache(Protocol):
    async def lookup(self, key: str) -> tuple[str | None, CachedResponse | None]:
        """(current generation or None when the cache is unreachable, the entry if fresh)."""

    async def store(self, ticket: Ticket, entry: CachedResponse) -> None: ...

    async def invalidate(self) -> None: ...


def cache_key(path: str, query_string: bytes) -> str:
    """The same key for the same query however its parameters are ordered."""
    pairs = sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    normalised = f"{path}?{urlencode(pairs)}"
    return hashlib.blake2b(normalised.encode(), digest_size=16).hexdigest()


def etag_of(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


class LocalCatalogCache:
    """LRU with a TTL, valid for one process (serve refuses several workers without Redis)."""

    def __init__(self, max_entries: int = LOCAL_MAX_ENTRIES) -> None:
        self.generation = 0
        self.max_entries = max_entries
        self.entries: OrderedDict[str, tuple[str, float, CachedResponse]] = OrderedDict()

    async def lookup(self, key: str) -> tuple[str | None, CachedResponse | None]:
        generation = str(self.generation)
        found = self.entries.get(key)
        if found is None:
            return generation, None
        entry_generation, expires_at, entry = found
        if entry_generation != generation or expires_at < time.monotonic():
            del self.entries[key]
            return generation, None
        self.entries.move_to_end(key)
        return generation, entry

    async def store(self, ticket: Ticket, entry: CachedResponse) -> None:
        self.entries[ticket.key] = (ticket.generation, time.monotonic() + TTL_SECONDS, entry)
        self.entries.move_to_end(ticket.key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    async def invalidate(self) -> None:
        self.generation += 1
        self.entries.clear()


class RedisCatalogCache:
    """Shared by every API process. When Redis fails, reads go to the database (logged)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._last_warning = 0.0

    async def lookup(self, key: str) -> tuple[str | None, CachedResponse | None]:
        try:
            found = await self.redis.mget(GENERATION_KEY, ENTRY_PREFIX + key)
        except (RedisError, OSError):
            self._warn("read")
            return None, None
        generation, raw = cast(list[bytes | None], found)
        current = (generation or b"0").decode()
        if raw is None:
            return current, None
        entry_generation, etag, body = raw.split(b"\n", 2)
        if entry_generation.decode() != current:
            return current, None
        return current, CachedResponse(etag.decode(), body)

    async def store(self, ticket: Ticket, entry: CachedResponse) -> None:
        value = b"\n".join((ticket.generation.encode(), entry.etag.encode(), entry.body))
        try:
            await self.redis.set(ENTRY_PREFIX + ticket.key, value, ex=TTL_SECONDS)
        except (RedisError, OSError):
            self._warn("write")

    async def invalidate(self) -> None:
        try:
            await self.redis.incr(GENERATION_KEY)
        except (RedisError, OSError):
            # Entries already cached stay until their TTL: the staleness is bounded by it.
            self._warn("invalidate")

    def _warn(self, operation: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _LOG_EVERY_SECONDS:
            self._last_warning = now
            logger.warning(
                "catalog cache unavailable; serving from the database",
                extra={"operation": operation},
                exc_info=True,
            )


def catalog_cache(state: Any) -> CatalogCache:
    """The app's cache, built on first use from the Redis client the lifespan opened."""
    cache: CatalogCache | None = getattr(state, "catalog_cache", None)
    if cache is None:
        redis: Redis | None = getattr(state, "redis", None)
        cache = LocalCatalogCache() if redis is None else RedisCatalogCache(redis)
        state.catalog_cache = cache
    return cache


def cached_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": PUBLIC_CACHE}


async def cacheable_json(request: Request, payload: SuccessResponse) -> Response:
    """The route's body as JSON with an ETag (304 when the client has it), stored in the cache
    when the middleware left a ticket for this request."""
    body = payload.model_dump_json().encode()
    etag = etag_of(body)
    ticket: Ticket | None = request.scope.get(SCOPE_TICKET)
    if ticket is not None:
        await catalog_cache(request.app.state).store(ticket, CachedResponse(etag, body))
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=cached_headers(etag))
    return Response(body, media_type="application/json", headers=cached_headers(etag))


async def invalidate_catalog(request: Request) -> None:
    """Call after the write's commit, never before (a reader could cache the old data anew)."""
    await catalog_cache(request.app.state).invalidate()
