"""Ceilings for bench/catalog.py, run under the same server as the app:

- `bytes_app`: a bare ASGI app answering each path (with its query) with the exact bytes the
  API sent for it, read from the JSON file named by $BENCH_BODIES ({"/path?query": "body"}).
- `db_app`: a bare asyncpg endpoint running the catalog's own SQL (compiled from the same
  SQLAlchemy statements) for the uncached first page (/list) and one product (/detail), on a
  pool set up as the app's read pool (same size, same release) and json.dumps, no framework.
  $STOREFRONT_DATABASE_URL and $BENCH_PRODUCT_ID.
  Like the app, /list keeps the facet block of its filter once computed (the app caches it
  under the catalog generation), so a page costs the page statement alone; /list-facets runs
  both statements every time (the app's figure for a filter seen for the first time).
"""

import json
import os
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import Select

from storefront.catalog.listing import (
    ProductFilters,
    ProductSort,
    facets_statement,
    page_statement,
)
from storefront.catalog.products import ACTIVE_PRODUCT
from storefront.core.config import Settings
from storefront.core.pagination import PageParams
from storefront.core.reads import Values, compiled, open_pool

JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]


def _load_bodies() -> dict[str, bytes]:
    path = os.environ.get("BENCH_BODIES")
    if not path:
        return {}
    with open(path) as file:
        return {key: value.encode() for key, value in json.load(file).items()}


BODIES = _load_bodies()


async def _respond(send: Any, body: bytes, status: int = 200) -> None:
    headers = [*JSON_HEADERS, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def bytes_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    query = scope["query_string"].decode()
    key = f"{scope['path']}?{query}" if query else scope["path"]
    body = BODIES.get(key)
    await _respond(send, body or b"{}", 200 if body else 404)


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _bound(statement: Select[Any], values: Values) -> tuple[str, list[object]]:
    """The SQL and arguments the app's read pool sends for this statement and these values."""
    read = compiled(statement)
    return read.sql, read.arguments(values)


class DbApp:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.facets: list[Any] | None = None
        first_page = PageParams(1, 20)
        filters = ProductFilters()
        self.page_sql = _bound(*page_statement(filters, ProductSort.NEWEST, first_page))
        self.facets_sql = _bound(*facets_statement(filters))
        product_id = uuid.UUID(os.environ.get("BENCH_PRODUCT_ID", str(uuid.UUID(int=0))))
        self.detail_sql = _bound(ACTIVE_PRODUCT, {"product_id": product_id})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.pool is not None  # noqa: S101
        payload: dict[str, object]
        async with self.pool.acquire() as connection:
            if scope["path"] in {"/list", "/list-facets"}:
                rows = await connection.fetch(self.page_sql[0], *self.page_sql[1])
                facets = self.facets if scope["path"] == "/list" else None
                if facets is None:
                    facets = await connection.fetch(self.facets_sql[0], *self.facets_sql[1])
                    self.facets = facets
                payload = {
                    "status": "success",
                    "products": [{k: _plain(v) for k, v in row.items()} for row in rows],
                    "facets": [{k: _plain(v) for k, v in row.items()} for row in facets],
                }
            else:
                row = await connection.fetchrow(self.detail_sql[0], *self.detail_sql[1])
                product = {k: _plain(v) for k, v in (row or {}).items()}
                payload = {"status": "success", "product": product}
        await _respond(send, json.dumps(payload).encode())

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                settings = Settings()
                self.pool = await open_pool(
                    os.environ["STOREFRONT_DATABASE_URL"], settings.db_read_pool_size
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


db_app = DbApp()
