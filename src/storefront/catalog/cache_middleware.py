"""Answers cached catalog GETs before FastAPI's routing and validation run. Installed inside
the request-id and security-headers middleware, so cached responses carry their headers too."""

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from storefront.catalog.cache import (
    SCOPE_TICKET,
    CachedResponse,
    Ticket,
    cache_key,
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
            await _send_cached(entry, _if_none_match(scope), send)
            return
        if generation is not None:
            scope[SCOPE_TICKET] = Ticket(key, generation)
        await self.app(scope, receive, send)


def _if_none_match(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return str(value.decode("latin-1"))
    return None


async def _send_cached(entry: CachedResponse, if_none_match: str | None, send: Send) -> None:
    if etag_matches(if_none_match, entry.etag):
        await send(
            {"type": "http.response.start", "status": 304, "headers": list(entry.raw_headers)}
        )
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": list(entry.body_headers)})
    await send({"type": "http.response.body", "body": entry.body})
