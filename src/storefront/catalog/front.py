"""Answers the public catalog GETs before FastAPI's routing, dependency injection and validation
run (they cost several times the read itself): from the cache, or on a miss by validating the
request with the same parameter models the routes declare and running the same read
(public.py), then caching its body. Only valid requests are cached, so a hit needs no
validation. A request whose parameters fail validation, and every
other method or path, goes on to FastAPI: its routes (router.py) render the 400s, answer HEAD
and document these reads in the OpenAPI document.

Installed inside the request-id and security-headers middleware, so its responses carry their
headers, log line and metrics too."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from storefront.catalog import public
from storefront.catalog.cache import (
    CachedResponse,
    CatalogCache,
    GenerationParts,
    QueryValues,
    Ticket,
    cache_key,
    catalog_cache,
    etag_matches,
    query_values,
)
from storefront.catalog.params import CategoryListParams, ProductListParams, SuggestParams
from storefront.core.errors import AppError, render_app_error
from storefront.core.http import API_PREFIX
from storefront.core.schemas import SuccessResponse

Params = TypeVar("Params")


@dataclass(frozen=True)
class PublicRead(Generic[Params]):
    # The route template: the request log and the metrics name the request by it.
    path: str
    # Raises ValidationError for parameters the route would refuse.
    parse: Callable[[str, QueryValues], Params]
    run: Callable[[public.ReadContext, Params], Awaitable[SuccessResponse]]
    list_parameters: frozenset[str] = field(default=frozenset())


def _query(model: type[BaseModel]) -> Callable[[str, QueryValues], Any]:
    return lambda _, values: model.model_validate(values)


_PRODUCT_ID = TypeAdapter(uuid.UUID)

_FIXED_PATHS: dict[str, PublicRead[Any]] = {
    read.path: read
    for read in (
        PublicRead(f"{API_PREFIX}/categories", _query(CategoryListParams), public.category_list),
        PublicRead(
            f"{API_PREFIX}/products",
            _query(ProductListParams),
            public.product_list,
            frozenset({"brand"}),
        ),
        PublicRead(
            f"{API_PREFIX}/products/suggest", _query(SuggestParams), public.product_suggestions
        ),
    )
}
# One path segment after the prefix (what the route's path parameter matches).
_ONE_SEGMENT: list[tuple[str, PublicRead[Any]]] = [
    (
        f"{API_PREFIX}/categories/",
        PublicRead(
            f"{API_PREFIX}/categories/{{category_id}}",
            lambda segment, _: segment,
            public.category_detail,
        ),
    ),
    (
        f"{API_PREFIX}/products/",
        PublicRead(
            f"{API_PREFIX}/products/{{product_id}}",
            lambda segment, _: _PRODUCT_ID.validate_python(segment),
            public.product_detail,
        ),
    ),
]


def public_read(path: str) -> tuple[PublicRead[Any], str] | None:
    """The read a GET of this path asks for, with its path segment ("" for none)."""
    read = _FIXED_PATHS.get(path)
    if read is not None:
        return read, ""
    for prefix, read in _ONE_SEGMENT:
        if path.startswith(prefix):
            segment = path[len(prefix) :]
            return (read, segment) if segment and "/" not in segment else None
    return None


class CatalogFront:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = public_read(scope["path"]) if scope["type"] == "http" else None
        if found is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        read, segment = found
        scope["route"] = read
        state = scope["app"].state
        cache = catalog_cache(state)
        key = cache_key(scope["path"], scope["query_string"], read.list_parameters)
        generation, entry = await cache.lookup(key)
        if entry is None:
            try:
                params = read.parse(
                    segment, query_values(scope["query_string"], read.list_parameters)
                )
            except ValidationError:
                del scope["route"]
                await self.app(scope, receive, send)
                return
            try:
                entry = await self._read(read, params, state, cache, generation)
            except AppError as error:
                await render_app_error(error)(scope, receive, send)
                return
            if generation is not None:
                await cache.store(Ticket(key, generation), entry)
        await _send_entry(entry, _if_none_match(scope), send)

    @staticmethod
    async def _read(
        read: PublicRead[Any],
        params: Any,
        state: Any,
        cache: CatalogCache,
        generation: str | None,
    ) -> CachedResponse:
        parts = None if generation is None else GenerationParts(cache, generation)
        context = public.ReadContext(state.reader, state.settings.currency, parts)
        return CachedResponse.of(await read.run(context, params))


def _if_none_match(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return str(value.decode("latin-1"))
    return None


async def _send_entry(entry: CachedResponse, if_none_match: str | None, send: Send) -> None:
    if etag_matches(if_none_match, entry.etag):
        await send({"type": "http.response.start", "status": 304, "headers": entry.raw_headers()})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": entry.body_headers()})
    await send({"type": "http.response.body", "body": entry.body})
