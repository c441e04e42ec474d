"""Cache-aside for the public catalog reads, in Redis or (without STOREFRONT_REDIS_URL) in this
process. Every entry carries the catalog generation it was built under; a catalog write moves
the generation on after its commit, so no entry built before the write is ever served again.
A reader takes the generation before it reads the database, so an entry built from data that
a concurrent write changes is stored under the old generation and never served.

With Redis, the generation is a random token in one key, replaced by each write and published
on a channel in the same MULTI. Each process follows the channel, so a hit reads its
generation from memory, and keeps a small copy of the entries it has seen in front of Redis,
so a hit's bytes come from memory too. A write is seen by the writing process before its
response is sent (it waits for its own message) and by every other process when the message
reaches it (sub-millisecond on a LAN). While a process is not subscribed (starting, or its
subscription connection dropped) it reads the generation from Redis instead. Concurrent
requests share their Redis round trips: one command for the generation, one MGET for entries,
one pipeline of SETs per batch. A random token rather than a counter means a
Redis restart (the key gone) can never bring back a generation whose copies a process still
holds."""

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from storefront.core.batching import Batcher, SingleFlight
from storefront.core.database import after_commit
from storefront.core.schemas import SuccessResponse

logger = logging.getLogger("storefront.catalog.cache")

TTL_SECONDS = 60
PUBLIC_CACHE = f"public, max-age={TTL_SECONDS}"
_PUBLIC_CACHE_BYTES = PUBLIC_CACHE.encode()
LOCAL_MAX_ENTRIES = 4096
# Bodies kept in one process at most (the API process's RSS budget is 200 MB).
LOCAL_MAX_BYTES = 16 * 1024 * 1024
NEAR_MAX_ENTRIES = 1024
NEAR_MAX_BYTES = 8 * 1024 * 1024
# How long a process keeps its copy of a Redis entry: only bounds how long a copy can outlive
# the Redis entry when an invalidation could not reach Redis (a fresh generation is always read).
NEAR_TTL_SECONDS = 5.0
_KEY_MEMO_ENTRIES = 4096
GENERATION_KEY = "catalog:generation"
GENERATION_CHANNEL = "catalog:generation"
ENTRY_PREFIX = "catalog:entry:"
# How long a write waits for its own generation message before falling back to reading.
_OWN_MESSAGE_TIMEOUT_SECONDS = 1.0
_RESUBSCRIBE_DELAYS_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
_LOG_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class CachedResponse:
    etag: str
    body: bytes

    @classmethod
    def of(cls, payload: SuccessResponse) -> "CachedResponse":
        body = payload.model_dump_json().encode()
        return cls(etag_of(body), body)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The ASGI headers of a 304 for this entry (a 200 adds `body_headers`)."""
        return [(b"etag", self.etag.encode()), (b"cache-control", _PUBLIC_CACHE_BYTES)]

    def body_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            *self.raw_headers(),
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", b"%d" % len(self.body)),
        ]


@dataclass(frozen=True)
class Ticket:
    key: str
    generation: str


class CatalogCache(Protocol):
    async def lookup(self, key: str) -> tuple[str | None, CachedResponse | None]:
        """(current generation or None when the cache is unreachable, the entry if fresh)."""

    async def store(self, ticket: Ticket, entry: CachedResponse) -> None: ...

    async def invalidate(self) -> None: ...

    async def aclose(self) -> None: ...


QueryValues = dict[str, str | list[str]]
_key_memo: dict[tuple[str, bytes], str] = {}


def query_values(query_string: bytes, list_parameters: frozenset[str]) -> QueryValues:
    """As the framework reads a query: the last value of a repeated parameter, or every value
    of a list parameter, in order."""
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in list_parameters:
            lists.setdefault(name, []).append(value)
        else:
            values[name] = value
    return {**values, **lists}


def cache_key(path: str, query_string: bytes, list_parameters: frozenset[str]) -> str:
    """The same key for the same values as the route reads them (`query_values`), however the
    parameters are ordered: `?page=1&page=2` reads page 2, `?page=2&page=1` page 1. A list
    parameter is a set of values to the route (brands to match), so its order does not count."""
    memo_key = (path, query_string)
    key = _key_memo.get(memo_key)
    if key is None:
        read = sorted(
            (name, sorted(value) if isinstance(value, list) else value)
            for name, value in query_values(query_string, list_parameters).items()
        )
        normalised = f"{path}?{read!r}"
        key = hashlib.blake2b(normalised.encode(), digest_size=16).hexdigest()
        if len(_key_memo) >= _KEY_MEMO_ENTRIES:
            _key_memo.clear()
        _key_memo[memo_key] = key
    return key


def etag_of(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


class _Lru:
    """Entries in least-recently-used order, bounded in number and in body bytes. Each is kept
    as a plain tuple of str, float and bytes, which the garbage collector stops tracking, so a
    full cache gives the collector's full passes nothing more to walk."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        # key -> (generation, expires at, etag, body)
        self.entries: OrderedDict[str, tuple[str, float, str, bytes]] = OrderedDict()

    def get(self, key: str, generation: str) -> CachedResponse | None:
        found = self.entries.get(key)
        if found is None:
            return None
        entry_generation, expires_at, etag, body = found
        if entry_generation != generation or expires_at < time.monotonic():
            self.discard(key)
            return None
        self.entries.move_to_end(key)
        return CachedResponse(etag, body)

    def put(self, key: str, generation: str, ttl: float, entry: CachedResponse) -> None:
        self.discard(key)
        self.entries[key] = (generation, time.monotonic() + ttl, entry.etag, entry.body)
        self.size += len(entry.body)
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            _, evicted = self.entries.popitem(last=False)
            self.size -= len(evicted[3])

    def discard(self, key: str) -> None:
        found = self.entries.pop(key, None)
        if found is not None:
            self.size -= len(found[3])

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0


class LocalCatalogCache:
    """LRU with a TTL, valid for one process (serve refuses several workers without Redis)."""

    def __init__(
        self, max_entries: int = LOCAL_MAX_ENTRIES, max_bytes: int = LOCAL_MAX_BYTES
    ) -> None:
        self.generation = 0
        self.entries = _Lru(max_entries, max_bytes)

    async def lookup(self, key: str) -> tuple[str | None, CachedResponse | None]:
        generation = str(self.generation)
        return generation, self.entries.get(key, generation)

    async def store(self, ticket: Ticket, entry: CachedResponse) -> None:
        self.entries.put(ticket.key, ticket.generation, TTL_SECONDS, entry)

    async def invalidate(self) -> None:
        self.generation += 1
        self.entries.clear()

    async def aclose(self) -> None:
        self.entries.clear()


class RedisCatalogCache:
    """Shared by every API process. When Redis fails, reads go to the database (logged)."""

    def __init__(
        self, redis: Redis, near_entries: int = NEAR_MAX_ENTRIES, near_bytes: int = NEAR_MAX_BYTES
    ) -> None:
        self.redis = redis
        # This process's copies of Redis entries, each valid under the generation it names.
        self.near = _Lru(near_entries, near_bytes)
        # The generation as last pushed on the channel; None while not subscribed.
        self.generation: str | None = None
        self._follower: asyncio.Task[None] | None = None
        self._own_messages: dict[str, asyncio.Future[None]] = {}
        # Concurrent requests share round trips (see core/batching.py).
        self._read_generation = Batcher[None, str](self._read_generations)
        self._get = Batcher[str, bytes | None](self._get_entries)
        self._set = Batcher[tuple[str, bytes], object](self._set_entries)
        self._last_warning = 0.0

    async def lookup(self, key: str) -> tuple[str | None, CachedResponse | None]:
        current = self.generation
        if current is None:
            self._follow()
            try:
                current = await self._read_generation(None)
            except (RedisError, OSError):
                self._warn("read")
                return None, None
        near = self.near.get(key, current)
        if near is not None:
            return current, near
        try:
            raw = await self._get(ENTRY_PREFIX + key)
        except (RedisError, OSError):
            self._warn("read")
            return None, None
        if raw is None:
            return current, None
        entry_generation, etag, body = raw.split(b"\n", 2)
        if entry_generation.decode() != current:
            return current, None
        entry = CachedResponse(etag.decode(), body)
        self.near.put(key, current, NEAR_TTL_SECONDS, entry)
        return current, entry

    async def store(self, ticket: Ticket, entry: CachedResponse) -> None:
        value = b"\n".join((ticket.generation.encode(), entry.etag.encode(), entry.body))
        try:
            await self._set((ENTRY_PREFIX + ticket.key, value))
        except (RedisError, OSError):
            self._warn("write")
            return
        self.near.put(ticket.key, ticket.generation, NEAR_TTL_SECONDS, entry)

    async def invalidate(self) -> None:
        token = secrets.token_hex(8)
        own_message = asyncio.get_running_loop().create_future()
        self._own_messages[token] = own_message
        try:
            async with self.redis.pipeline(transaction=True) as pipeline:
                pipeline.set(GENERATION_KEY, token)
                pipeline.publish(GENERATION_CHANNEL, token)
                await pipeline.execute()
            if self.generation is not None:
                # Messages arrive in order: once ours is in, the generation is ours or newer.
                # (asyncio.timeout: Python 3.11's wait_for can swallow a cancellation.)
                async with asyncio.timeout(_OWN_MESSAGE_TIMEOUT_SECONDS):
                    await own_message
        except (RedisError, OSError, TimeoutError):
            # Entries already cached stay until their TTL: the staleness is bounded by it.
            self._warn("invalidate")
            self.generation = None
        finally:
            del self._own_messages[token]
        self.near.clear()

    async def aclose(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        for batcher in (self._read_generation, self._get, self._set):
            await batcher.aclose()

    def _follow(self) -> None:
        if self._follower is None:
            self._follower = asyncio.create_task(self._follow_generations())

    async def _follow_generations(self) -> None:
        """Keep `generation` as the channel pushes it, resubscribing after a failure."""
        failures = 0
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(GENERATION_CHANNEL)
                    # Subscribed: every later change is pushed, so the value read now holds
                    # until the next message.
                    self.generation = await self._read_generation(None)
                    failures = 0
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self._pushed(cast(bytes, message["data"]).decode())
            except (RedisError, OSError):
                self.generation = None
                self._warn("subscribe")
                delays = _RESUBSCRIBE_DELAYS_SECONDS
                await asyncio.sleep(delays[min(failures, len(delays) - 1)])
                failures += 1

    def _pushed(self, generation: str) -> None:
        self.generation = generation
        own_message = self._own_messages.get(generation)
        if own_message is not None and not own_message.done():
            own_message.set_result(None)

    async def _read_generations(self, callers: list[None]) -> list[str]:
        """The generation as Redis holds it now, for every caller waiting (one command).
        A missing key (a new or restarted Redis) gets a fresh token, never a value that
        entries from before could still carry."""
        token = secrets.token_hex(8)
        held = await self.redis.set(GENERATION_KEY, token, nx=True, get=True)
        generation = token if held is None else cast(bytes, held).decode()
        return [generation] * len(callers)

    async def _get_entries(self, keys: list[str]) -> list[bytes | None]:
        return cast(list[bytes | None], await self.redis.mget(keys))

    async def _set_entries(self, entries: list[tuple[str, bytes]]) -> list[object]:
        async with self.redis.pipeline(transaction=False) as pipeline:
            for key, value in entries:
                pipeline.set(key, value, ex=TTL_SECONDS)
            return cast(list[object], await pipeline.execute())

    def _warn(self, operation: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _LOG_EVERY_SECONDS:
            self._last_warning = now
            logger.warning(
                "catalog cache unavailable; serving from the database",
                extra={"operation": operation},
                exc_info=True,
            )


def build_catalog_cache(redis: Redis | None) -> CatalogCache:
    return LocalCatalogCache() if redis is None else RedisCatalogCache(redis)


def catalog_cache(state: Any) -> CatalogCache:
    """The app's cache, opened by the lifespan."""
    cache: CatalogCache = state.catalog_cache
    return cache


def cached_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": PUBLIC_CACHE}


def cacheable_json(request: Request, payload: SuccessResponse) -> Response:
    """The body as JSON with its ETag (304 when the client has it), cacheable by clients."""
    entry = CachedResponse.of(payload)
    headers = cached_headers(entry.etag)
    if etag_matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


# Parts being built in this process, by (generation, key).
_PART_BUILDS = SingleFlight[bytes]()


@dataclass
class GenerationParts:
    """Parts of responses (a listing's facets) cached under the generation of this request's
    ticket: one built or read under an older generation is never used."""

    cache: CatalogCache
    generation: str
    prefix: str = field(default="part:")

    async def get_or_build(self, key: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The part, built by one request at a time: a new generation (every catalog write)
        or an expired part does not send every request in flight to the database at once."""
        cached = await self.get(key)
        if cached is not None:
            return cached
        return await _PART_BUILDS.run((self.generation, key), lambda: self._built(key, build))

    async def _built(self, key: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        value = await build()
        await self.put(key, value)
        return value

    async def get(self, key: str) -> bytes | None:
        generation, entry = await self.cache.lookup(self.prefix + key)
        if entry is None or generation != self.generation:
            return None
        return entry.body

    async def put(self, key: str, value: bytes) -> None:
        await self.cache.store(
            Ticket(self.prefix + key, self.generation), CachedResponse("", value)
        )


# The key under which a process's sessionmaker carries its catalog cache (core/database.py).
CACHE_RESOURCE = "catalog_cache"
_INVALIDATION_SCHEDULED = "catalog_invalidation_scheduled"


def invalidate_after_commit(session: AsyncSession) -> None:
    """Move the catalog generation on once this transaction has committed, never before (a
    reader could otherwise cache the old data anew), and once however many writes it holds.
    A process without a catalog cache (a worker without Redis) has nothing to invalidate."""
    cache: CatalogCache | None = session.info.get(CACHE_RESOURCE)
    if cache is None or session.info.get(_INVALIDATION_SCHEDULED):
        return
    session.info[_INVALIDATION_SCHEDULED] = True
    after_commit(session, cache.invalidate)
