"""Ceilings for bench/cart.py, run under the same server as the app, from the capture named by
$BENCH_CART_CEILINGS ({path: (response bytes, [(sql, arguments)], commits)}):

- `bytes_app`: a bare ASGI app answering /add and /get with the bytes the API sent.
- `db_app`: a bare asyncpg endpoint sending, in one transaction on a pool, the statements the
  app sent for that request with the same arguments, then answering the same bytes. /get
  commits as the app does; /add rolls back, so every replay does the same work.
"""

import os
import pickle
from typing import Any

import asyncpg

JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]


def _load() -> dict[str, tuple[bytes, list[tuple[str, Any]], bool]]:
    path = os.environ.get("BENCH_CART_CEILINGS")
    if not path:
        return {}
    with open(path, "rb") as file:
        captured: dict[str, tuple[bytes, list[tuple[str, Any]], bool]] = pickle.load(file)  # noqa: S301 (our own file)
    return captured


CAPTURED = _load()


async def _respond(send: Any, body: bytes, status: int = 200) -> None:
    headers = [*JSON_HEADERS, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def bytes_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    found = CAPTURED.get(scope["path"])
    await _respond(send, found[0] if found else b"{}", 200 if found else 404)


class DbApp:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        found = CAPTURED.get(scope["path"])
        if found is None:
            await _respond(send, b"{}", 404)
            return
        body, statements, commits = found
        assert self.pool is not None  # noqa: S101
        async with self.pool.acquire() as connection:
            transaction = connection.transaction()
            await transaction.start()
            for sql, arguments in statements:
                await connection.fetch(sql, *arguments)
            await (transaction.commit() if commits else transaction.rollback())
        await _respond(send, body)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                url = os.environ["STOREFRONT_DATABASE_URL"].replace("+asyncpg", "")
                self.pool = await asyncpg.create_pool(url, min_size=10, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


db_app = DbApp()
