"""Checkout benchmark (BENCHMARKING.md): POST /orders at 20 concurrent buyers, first each on a
product of its own, then all on one hot product, the app under granian (one process, core 0)
and the load from this process (core 1), beside the ceiling measured in the same run: pgbench's
rate for the transaction at the heart of a checkout (take one unit from a product's stock row,
insert an order row) on 20 distinct rows and on one hot row. Run from the repo root, on a
migrated database of its own (the run empties it and seeds its own products and buyers):

    STOREFRONT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/storefront_checkout_bench \
    STOREFRONT_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/ .venv/bin/python -m bench.checkout

With a broker the API only relays each checkout's events, as deployed (the run empties the
worker's queue afterwards); without one it also sends the confirmation emails itself.

Each checkout is a different buyer's: every buyer has an address and a one-line cart, so a
request is one checkout and nothing else (a buyer's cart empties when it checks out).
"""

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, make_url, text

from bench.harness import (
    LOAD_CORE,
    cpu_seconds,
    granian_command,
    pinned_server,
    processes_cpu_seconds,
)
from storefront.app import create_app
from storefront.auth.contact import lookup_key
from storefront.auth.models import Role, User
from storefront.auth.tokens import issue_access_token
from storefront.cart.models import cart_items_table, carts_table
from storefront.catalog.models import products_table
from storefront.core.config import load_settings
from storefront.core.database import create_engine, resolve_database_url
from storefront.core.events.broker import purge_worker_queues
from storefront.core.statement_count import counted_statements
from storefront.models import metadata
from storefront.users.models import Address, AddressLabel

PORT = 8093
BASE = f"http://127.0.0.1:{PORT}"
ORDERS = "/api/v1/orders"
CONCURRENCY = 20
WARMUP = 10  # checkouts per concurrent buyer before the measured ones
MEASURED = 300  # checkouts per concurrent buyer, measured
PGBENCH_SECONDS = 10
STOCK = 10_000_000
PRICE = Decimal("499.00")


@dataclass(frozen=True)
class Buyer:
    headers: dict[str, str]
    address_id: str


@dataclass(frozen=True)
class Row:
    label: str
    per_second: float
    mean_ms: float
    p99_ms: float | None
    server_cpu_us: float | None
    postgres_cpu_us: float
    statements: str


async def seed(products: list[uuid.UUID], lanes: list[list[int]]) -> list[list[Buyer]]:
    """An empty database, then the products and, for each lane (a concurrent buyer's run of
    checkouts), its buyers: each with an address and a cart of one unit of its lane's product."""
    settings = load_settings()
    key = settings.resolved_secret_key()
    # An engine, not the app: the app's periodic jobs would contend with the truncation.
    engine = create_engine(resolve_database_url(settings))
    async with engine.begin() as connection:
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await connection.execute(
            text("INSERT INTO categories (category_id, name) VALUES ('C100', 'Bench')")
        )
        await connection.execute(insert(products_table), [_product(p) for p in products])
        rows: dict[str, list[dict[str, Any]]] = {
            "users": [],
            "addresses": [],
            "carts": [],
            "items": [],
        }
        buyers = []
        for lane in lanes:
            buyers.append([_buyer(key, products[pick], rows) for pick in lane])
        await connection.execute(insert(User), rows["users"])
        await connection.execute(insert(Address), rows["addresses"])
        await connection.execute(insert(carts_table), rows["carts"])
        await connection.execute(insert(cart_items_table), rows["items"])
    await engine.dispose()
    return buyers


def _product(product_id: uuid.UUID) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "category_id": "C100",
        "slug": f"bench-{product_id.hex}",
        "name": f"Bench product {product_id.hex[:6]}",
        "brand": "Bench",
        "description": "",
        "price": PRICE,
        "stock_quantity": STOCK,
        "image_urls": [],
    }


def _buyer(key: str, product_id: uuid.UUID, rows: dict[str, list[dict[str, Any]]]) -> Buyer:
    user_id, address_id, cart_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    name = f"ckb_{user_id.hex[:16]}"
    mobile = f"+9170{len(rows['users']):08d}"
    rows["users"].append(
        {
            "user_id": user_id,
            "username": name,
            "username_key": lookup_key(name),
            "email": f"{name}@example.com",
            "email_key": lookup_key(f"{name}@example.com"),
            "mobile": mobile,
            "password_hash": "not-a-real-hash",
            "is_email_verified": True,
        }
    )
    rows["addresses"].append(
        {
            "address_id": address_id,
            "user_id": user_id,
            "full_name": "Bench Buyer",
            "mobile": mobile,
            "line1": "12 MG Road",
            "city": "Bengaluru",
            "state": "Karnataka",
            "postal_code": "560001",
            "country": "IN",
            "label": AddressLabel.HOME,
            "is_default": True,
        }
    )
    rows["carts"].append({"cart_id": cart_id, "user_id": user_id})
    rows["items"].append(
        {
            "item_id": uuid.uuid4(),
            "cart_id": cart_id,
            "product_id": product_id,
            "quantity": 1,
            "added_unit_price": PRICE,
            "currency": "INR",
        }
    )
    token = issue_access_token(key, user_id, Role.CUSTOMER, 1, 86400, session_id=uuid.uuid4())
    return Buyer({"Authorization": f"Bearer {token}"}, str(address_id))


async def statements_per_checkout(lines: int) -> int:
    """Statements one checkout of a `lines`-line cart sends (the token's check included),
    counted in-process on the seeded database."""
    products = [uuid.uuid4() for _ in range(lines)]
    [[buyer]] = await seed(products, [[0]])
    app = create_app(load_settings())
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url=BASE) as client,
    ):
        async with app.state.engine.begin() as connection:
            cart = text("SELECT cart_id FROM cart_items LIMIT 1")
            cart_id = await connection.scalar(cart)
            extra = [
                {
                    "cart_id": cart_id,
                    "product_id": p,
                    "quantity": 1,
                    "added_unit_price": PRICE,
                    "currency": "INR",
                    "item_id": uuid.uuid4(),
                }
                for p in products[1:]
            ]
            if extra:
                await connection.execute(insert(cart_items_table), extra)
        with counted_statements(app) as log:
            response = await _checkout(client, buyer)
    if response.status_code != 201:
        raise RuntimeError(f"checkout answered {response.status_code}: {response.text}")
    return len(log.statements)


async def _checkout(client: httpx.AsyncClient, buyer: Buyer) -> httpx.Response:
    headers = buyer.headers | {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
    return await client.post(ORDERS, json={"address_id": buyer.address_id}, headers=headers)


async def load(label: str, lanes: list[list[Buyer]], pid: int, statements: int) -> Row:
    """Each lane checks out its buyers one after another, all lanes at once: WARMUP each
    first, then the rest measured (server and PostgreSQL CPU, latency of every checkout)."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=BASE, limits=limits, timeout=60) as client:
        await asyncio.gather(*(_run_lane(client, lane[:WARMUP]) for lane in lanes))
        cpu, db_cpu, started = (
            cpu_seconds(pid),
            processes_cpu_seconds("postgres"),
            time.perf_counter(),
        )
        latencies = await asyncio.gather(*(_run_lane(client, lane[WARMUP:]) for lane in lanes))
        elapsed = time.perf_counter() - started
        cpu, db_cpu = cpu_seconds(pid) - cpu, processes_cpu_seconds("postgres") - db_cpu
    every = [latency for lane in latencies for latency in lane]
    return Row(
        label=label,
        per_second=len(every) / elapsed,
        mean_ms=statistics.fmean(every) * 1000,
        p99_ms=statistics.quantiles(every, n=100)[98] * 1000,
        server_cpu_us=cpu / len(every) * 1e6,
        postgres_cpu_us=db_cpu / len(every) * 1e6,
        statements=str(statements),
    )


async def _run_lane(client: httpx.AsyncClient, buyers: Sequence[Buyer]) -> list[float]:
    latencies = []
    for buyer in buyers:
        started = time.perf_counter()
        response = await _checkout(client, buyer)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 201:
            raise RuntimeError(f"checkout answered {response.status_code}: {response.text}")
    return latencies


PGBENCH_SETUP = f"""
DROP TABLE IF EXISTS bench_stock, bench_orders;
CREATE TABLE bench_stock (
    product_id integer PRIMARY KEY, quantity integer NOT NULL CHECK (quantity >= 0));
INSERT INTO bench_stock SELECT n, {STOCK} FROM generate_series(1, {CONCURRENCY}) AS n;
CREATE TABLE bench_orders (
    order_id bigserial PRIMARY KEY, product_id integer NOT NULL, quantity integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
"""  # noqa: S608 (module constants only)
PGBENCH_TRANSACTION = """\\set product %s
BEGIN;
UPDATE bench_stock SET quantity = quantity - 1 WHERE product_id = :product;
INSERT INTO bench_orders (product_id, quantity) VALUES (:product, 1);
END;
"""


def pgbench(label: str, product: str, script: str) -> Row:
    """pgbench, 20 clients on core 1, for PGBENCH_SECONDS: the stock-row update and order
    insert of a checkout, nothing else."""
    url = make_url(os.environ["STOREFRONT_DATABASE_URL"])
    connect = [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    with open(script, "w") as file:
        file.write(PGBENCH_TRANSACTION % product)
    command = [
        "taskset",
        "-c",
        LOAD_CORE,
        "pgbench",
        "-n",
        *connect,
        "-c",
        str(CONCURRENCY),
        "-j",
        "1",
    ]
    database = url.database or "postgres"
    subprocess.run([*command, "-T", "2", "-f", script, database], check=True, capture_output=True)
    db_cpu = processes_cpu_seconds("postgres")
    out = subprocess.run(
        [*command, "-T", str(PGBENCH_SECONDS), "-f", script, database],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    db_cpu = processes_cpu_seconds("postgres") - db_cpu
    transactions = int(_field(out, "number of transactions actually processed:").split("/")[0])
    return Row(
        label=label,
        per_second=float(_field(out, "tps =").split()[0]),
        mean_ms=float(_field(out, "latency average =").split()[0]),
        p99_ms=None,
        server_cpu_us=None,
        postgres_cpu_us=db_cpu / transactions * 1e6,
        statements="2 + BEGIN/END",
    )


def _field(out: str, prefix: str) -> str:
    for line in out.splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    raise RuntimeError(f"pgbench printed no {prefix!r}")


def print_table(rows: Sequence[tuple[Row, Row | None]]) -> None:
    print(
        "| what | checkouts/s | vs ceiling | mean ms | p99 ms | server CPU us/checkout "
        "| PostgreSQL CPU us/checkout | SQL/checkout |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row, ceiling in rows:
        ratio = f"{row.per_second / ceiling.per_second:.0%}" if ceiling else "-"
        p99 = f"{row.p99_ms:.1f}" if row.p99_ms is not None else "-"
        server = f"{row.server_cpu_us:.0f}" if row.server_cpu_us is not None else "-"
        print(
            f"| {row.label} | {row.per_second:.0f} | {ratio} | {row.mean_ms:.1f} | {p99} | "
            f"{server} | {row.postgres_cpu_us:.0f} | {row.statements} |"
        )


def main() -> None:
    env = os.environ | {"STOREFRONT_LOG_LEVEL": "WARNING", "STOREFRONT_RATE_LIMITS": "false"}
    statements = {lines: asyncio.run(statements_per_checkout(lines)) for lines in (1, 5)}
    products = [uuid.uuid4() for _ in range(CONCURRENCY)]
    per_lane = WARMUP + MEASURED
    distinct = [[lane] * per_lane for lane in range(CONCURRENCY)]
    hot = [[0] * per_lane for _ in range(CONCURRENCY)]
    buyers = asyncio.run(seed(products, distinct + hot))
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    workdir = tempfile.mkdtemp(prefix="checkout_bench_")
    with pinned_server(
        granian_command("storefront.app:serve_app", PORT, factory=True), f"{BASE}/health", env
    ) as pid:
        spread = asyncio.run(
            load("POST /orders, 20 buyers on 20 products", buyers[:CONCURRENCY], pid, statements[1])
        )
        one = asyncio.run(
            load("POST /orders, 20 buyers on one product", buyers[CONCURRENCY:], pid, statements[1])
        )
    subprocess.run(
        ["psql", os.environ["STOREFRONT_DATABASE_URL"], "-q", "-c", PGBENCH_SETUP], check=True
    )
    spread_ceiling = pgbench(
        "ceiling: pgbench, stock update + order insert, 20 rows",
        "(:client_id % 20) + 1",
        os.path.join(workdir, "rows.sql"),
    )
    hot_ceiling = pgbench(
        "ceiling: pgbench, stock update + order insert, one row",
        "1",
        os.path.join(workdir, "row.sql"),
    )
    subprocess.run(
        [
            "psql",
            os.environ["STOREFRONT_DATABASE_URL"],
            "-q",
            "-c",
            "DROP TABLE bench_stock, bench_orders",
        ],
        check=True,
    )
    if broker := os.environ.get("STOREFRONT_BROKER_URL"):
        asyncio.run(purge_worker_queues(broker))
    print(
        f"SQL statements per checkout: {statements[1]} (1-line cart), {statements[5]} (5-line cart)"
    )
    print_table(
        [(spread_ceiling, None), (hot_ceiling, None), (spread, spread_ceiling), (one, hot_ceiling)]
    )


if __name__ == "__main__":
    main()
