"""Cart benchmark (BENCHMARKING.md): add-to-cart and get-cart for signed-in users, the app under
granian (one process, core 0) and wrk (core 1), beside two ceilings measured in the same run: a
bare ASGI app answering the same bytes, and a bare asyncpg endpoint replaying the very SQL (text
and arguments) the app sent for that request, in one transaction. Run from the repo root, wrk
installed, on an existing migrated database of its own (the run seeds products and users, and
empties every cart first):

    STOREFRONT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/storefront_cart_bench_h5 \
    STOREFRONT_REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python -m bench.cart

Add-to-cart: each request is the next of USERS users (round robin) adding one unit of a random
one of the products, so lines grow without reaching the per-line or per-cart limits. The asyncpg
replay of an add rolls back (replaying a commit would grow one line to its limit); the app commits.
"""

import asyncio
import os
import pickle
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import event, insert, text

from bench.catalog import Figure, print_table, wrk
from bench.harness import granian_command, pinned_server
from storefront.app import create_app
from storefront.auth.models import Role, User
from storefront.auth.tokens import issue_access_token
from storefront.core.config import load_settings

PORT = 8092
BASE = f"http://127.0.0.1:{PORT}"
PRODUCTS = 1_000
USERS = 5_000
CART = "/api/v1/cart"
ADD_SCRIPT = """
local tokens, products = {}, {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
for line in io.lines("%(products)s") do products[#products + 1] = line end
math.randomseed(os.time())
local counter = 0
request = function()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[(counter %% #tokens) + 1],
    ["Content-Type"] = "application/json",
  }
  local body = '{"product_id":"' .. products[math.random(#products)] .. '","quantity":1}'
  return wrk.format("POST", "%(path)s", headers, body)
end
"""
GET_SCRIPT = """
wrk.headers["Authorization"] = "Bearer %(token)s"
"""


@dataclass(frozen=True)
class Prepared:
    tokens: list[str]
    products: list[str]
    # {path: (response bytes, [(sql, arguments)], commits)}
    captured: dict[str, tuple[bytes, list[tuple[str, Any]], bool]]


@contextmanager
def captured_sql(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (text and driver arguments) the app sends while the block runs."""
    sent: list[tuple[str, Any]] = []
    engine = app.state.engine.sync_engine

    def record(*args: Any) -> None:
        sent.append((args[2], args[3]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def prepare() -> Prepared:
    """Products with plenty of stock, USERS users and their tokens, every cart emptied; one
    user's second add and read captured (SQL and response bytes) for the ceilings."""
    settings = load_settings()
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url=BASE) as client,
    ):
        async with app.state.engine.begin() as connection:
            await connection.execute(text("DELETE FROM carts"))
            await connection.execute(text("UPDATE products SET stock_quantity = 1000000"))
            rows = await connection.execute(
                text("SELECT product_id FROM products WHERE is_active ORDER BY product_id")
            )
            products = [str(row[0]) for row in rows]
            await connection.execute(text("DELETE FROM users WHERE username LIKE 'cart_bench_%'"))
            ids = [uuid.uuid4() for _ in range(USERS)]
            await connection.execute(
                insert(User),
                [
                    {
                        "user_id": user_id,
                        "username": f"cart_bench_{n}",
                        "username_key": f"cart_bench_{n}",
                        "email": f"cart_bench_{n}@example.com",
                        "email_key": f"cart_bench_{n}@example.com",
                        "mobile": f"+9170{n:08d}",
                        "password_hash": "not-a-real-hash",
                    }
                    for n, user_id in enumerate(ids)
                ],
            )
        key = app.state.auth.secret_key
        tokens = [
            issue_access_token(key, user_id, Role.CUSTOMER, 1, 86400, session_id=uuid.uuid4())
            for user_id in ids
        ]
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        first = {"product_id": products[0], "quantity": 1}
        (await client.post(f"{CART}/items", json=first, headers=headers)).raise_for_status()
        second = {"product_id": products[1], "quantity": 1}
        with captured_sql(app) as add_sql:
            added = await client.post(f"{CART}/items", json=second, headers=headers)
        added.raise_for_status()
        with captured_sql(app) as get_sql:
            read = await client.get(CART, headers=headers)
        read.raise_for_status()
    return Prepared(
        tokens=tokens,
        products=products,
        captured={"/add": (added.content, add_sql, False), "/get": (read.content, get_sql, True)},
    )


def write_files(workdir: str, prepared: Prepared) -> dict[str, str]:
    """The token and product lists for wrk's script, and the capture for the ceilings."""
    paths = {
        "tokens": os.path.join(workdir, "tokens"),
        "products": os.path.join(workdir, "ids"),
        "ceilings": os.path.join(workdir, "ceilings.pickle"),
    }
    with open(paths["tokens"], "w") as file:
        file.write("\n".join(prepared.tokens[1:]) + "\n")
    with open(paths["products"], "w") as file:
        file.write("\n".join(prepared.products) + "\n")
    with open(paths["ceilings"], "wb") as file:
        pickle.dump(prepared.captured, file)
    return paths | {"token": prepared.tokens[0]}


def script(workdir: str, name: str, body: str) -> str:
    path = os.path.join(workdir, name)
    with open(path, "w") as file:
        file.write(body)
    return path


def main() -> None:
    env = os.environ | {"STOREFRONT_LOG_LEVEL": "WARNING", "STOREFRONT_RATE_LIMITS": "false"}
    storefront = os.path.join(os.path.dirname(sys.executable), "storefront")
    subprocess.run([storefront, "seed-demo", "--products", str(PRODUCTS)], check=True, env=env)
    workdir = tempfile.mkdtemp(prefix="cart_bench_")
    captured = asyncio.run(prepare())
    prepared = write_files(workdir, captured)
    ceiling_env = env | {"BENCH_CART_CEILINGS": prepared["ceilings"]}
    add_script = script(workdir, "add.lua", ADD_SCRIPT % {**prepared, "path": f"{CART}/items"})
    get_script = script(workdir, "get.lua", GET_SCRIPT % prepared)

    with pinned_server(
        granian_command("bench.cart_ceilings:bytes_app", PORT, factory=False), BASE, ceiling_env
    ) as pid:
        bytes_add = wrk("ceiling: bare ASGI, same bytes as add-to-cart", f"{BASE}/add", pid)
        bytes_get = wrk("ceiling: bare ASGI, same bytes as get-cart", f"{BASE}/get", pid)
    with pinned_server(
        granian_command("bench.cart_ceilings:db_app", PORT, factory=False), BASE, ceiling_env
    ) as pid:
        db_add = wrk("ceiling: bare asyncpg, add-to-cart SQL (rolled back)", f"{BASE}/add", pid)
        db_get = wrk("ceiling: bare asyncpg, get-cart SQL", f"{BASE}/get", pid)
    command = granian_command("storefront.app:serve_app", PORT, factory=True)
    with pinned_server(command, f"{BASE}/health", env) as pid:
        add = wrk("POST /cart/items (signed in)", BASE, pid, add_script)
        get = wrk("GET /cart (signed in, 2 lines)", f"{BASE}{CART}", pid, get_script)

    add_sql, get_sql = (str(len(captured.captured[path][1])) for path in ("/add", "/get"))
    rows: list[tuple[Figure, Figure | None, str]] = [
        (bytes_add, None, "-"),
        (bytes_get, None, "-"),
        (db_add, None, add_sql),
        (db_get, None, get_sql),
        (add, bytes_add, add_sql),
        (add, db_add, add_sql),
        (get, bytes_get, get_sql),
        (get, db_get, get_sql),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
