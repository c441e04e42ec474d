"""Answers cached catalog GETs before FastAPI's routing and validation run. Installed inside
the request-id and security-headers middleware, so cached responses carry their headers too."""

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from storefront.catalog.cache import (
    SCOPE_TICKET,
    CachedResponse,
    Ticket,
    cache_key,
    cached_headers,
    catalog_cache,
    etag_matches,
)
from storefront.core.http import API_PREFIX

CACHED_PATHS = re.compile(rf"{re.escape(API_PREFIX)}/(categories|products)(/[^/]+)?")


class CatalogCacheMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not CACHED_PATHS.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        key = cache_key(scope["path"], scope["query_string"])
        generation, entry = await catalog_cache(scope["app"].state).lookup(key)
        if entry is not None:
            await _send_cached(entry, Headers(scope=scope).get("if-none-match"), send)
            return
        if generation is not None:
            scope[SCOPE_TICKET] = Ticket(key, generation)
        await self.app(scope, receive, send)


async def _send_cached(entry: CachedResponse, if_none_match: str | None, send: Send) -> None:
    headers = [
        (name.lower().encode(), value.encode())
        for name, value in cached_headers(entry.etag).items()
    ]
    if etag_matches(if_none_match, entry.etag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(entry.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body})
