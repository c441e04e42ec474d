"""Catalog read benchmark (BENCHMARKING.md) on 100,000 demo products: the app under granian
(one process, core 0) with the catalog cache in Redis and in-process, each route both served
from the cache (hit) and built from the database (miss: wrk adds a unique `_miss` parameter to
every request, so each one misses and fills the cache), beside two ceilings measured in the
same run: a bare ASGI app returning the same bytes, and a bare asyncpg endpoint running the
same SQL (uncached first page and detail). Run from the repo root, Redis and wrk installed,
on an existing migrated database (the run seeds the products itself):

    STOREFRONT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/storefront_catalog_bench \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python -m bench.catalog

BENCH_ROUTES (optional, comma-separated words) keeps only the routes whose label contains one
of them, e.g. BENCH_ROUTES="first page,q=" (the database ceilings always run).
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import httpx
from asgi_lifespan import LifespanManager
from redis import Redis
from sqlalchemy import text

from bench.harness import (
    LOAD_CORE,
    Result,
    cpu_seconds,
    granian_command,
    parse_wrk,
    pinned_server,
    process_tree,
    processes_cpu_seconds,
)
from storefront.app import create_app
from storefront.core.config import Environment, Settings
from storefront.core.statement_count import counted_statements

PORT = 8091
BASE = f"http://127.0.0.1:{PORT}"
PRODUCTS = 100_000
SECONDS = 10
CONNECTIONS = 50
MISS_SCRIPT = """
math.randomseed(os.time())
local prefix = tostring(math.random(1, 1000000000))
local counter = 0
request = function()
  counter = counter + 1
  local separator = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. separator .. "_miss=" .. prefix .. "-" .. counter)
end
"""


@dataclass(frozen=True)
class Figure:
    result: Result
    db_cpu_us: float


def routes(product_id: str, cursor: str) -> dict[str, str]:
    return {
        "GET /categories": "/api/v1/categories",
        "GET /products (first page)": "/api/v1/products",
        "GET /products (filtered, sorted)": (
            "/api/v1/products?category_id=C100&brand=Urban%20Loom&brand=Northwind"
            "&min_price=500&max_price=5000&in_stock=true&sort=price_asc"
        ),
        "GET /products?page=200": "/api/v1/products?page=200",
        # The middle of 100,000 products: 49,980 rows to skip.
        "GET /products?page=2500": "/api/v1/products?page=2500",
        # The same page reached by keyset: the cursor page 2499 hands out.
        "GET /products?cursor= (page 2500)": f"/api/v1/products?cursor={cursor}",
        "GET /products/{id}": f"/api/v1/products/{product_id}",
        "GET /products?q=": "/api/v1/products?q=steel%20kettle",
    }


def wrk(label: str, url: str, pid: int, script: str | None = None) -> Figure:
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{CONNECTIONS}", "--latency"]
    if script:
        command += ["-s", script]
    subprocess.run([*command, "-d3s", url], check=True, capture_output=True)
    before, db_before = cpu_seconds(pid), processes_cpu_seconds("postgres")
    out = subprocess.run(
        [*command, f"-d{SECONDS}s", url], check=True, capture_output=True, text=True
    ).stdout
    cpu, db_cpu = cpu_seconds(pid) - before, processes_cpu_seconds("postgres") - db_before
    result = parse_wrk(label, out, cpu)
    return Figure(result, db_cpu / result.requests * 1e6)


def rss_mb(pid: int) -> float:
    """Resident memory of the server's process tree (the granian worker included)."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                line = next(x for x in status if x.startswith("VmRSS:"))
            total += int(line.split()[1])
        except (OSError, StopIteration):
            continue
    return total / 1024


async def measure_in_process(paths: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """SQL statements per request on a miss ("first/next": the first request of a filter also
    computes its facets, a later miss of another page or sort reuses them), and each route's
    response body."""
    settings = Settings(
        env=Environment.TEST, database_url=os.environ["STOREFRONT_DATABASE_URL"], redis_url=None
    )
    app = create_app(settings)
    counts: dict[str, str] = {}
    bodies: dict[str, str] = {}
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url=BASE) as client,
    ):
        for label, path in paths.items():
            with counted_statements(app) as statements:
                response = await client.get(path)
            response.raise_for_status()
            separator = "&" if "?" in path else "?"
            with counted_statements(app) as again:
                (await client.get(f"{path}{separator}_miss=count")).raise_for_status()
            counts[label] = f"{statements.count}/{again.count}"
            bodies[path] = response.text
    return counts, bodies


async def first_product_id() -> str:
    settings = Settings(database_url=os.environ["STOREFRONT_DATABASE_URL"])
    app = create_app(settings)
    async with LifespanManager(app), app.state.engine.connect() as connection:
        query = text("SELECT product_id FROM products WHERE is_active ORDER BY slug LIMIT 1")
        return str((await connection.execute(query)).scalar_one())


async def deep_cursor() -> str:
    """The next_cursor of page 2499 (so the cursor route shows page 2500)."""
    settings = Settings(
        env=Environment.TEST, database_url=os.environ["STOREFRONT_DATABASE_URL"], redis_url=None
    )
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url=BASE) as client,
    ):
        response = await client.get("/api/v1/products", params={"page": 2499})
        cursor: str = response.raise_for_status().json()["pagination"]["next_cursor"]
    return cursor


def print_table(rows: list[tuple[Figure, Figure | None, str]]) -> None:
    print(
        "| what | req/s | vs ceiling | p50 ms | p99 ms | server CPU us/req "
        "| PostgreSQL CPU us/req | SQL/req |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for figure, ceiling, statements in rows:
        r = figure.result
        ratio = (
            f"{r.requests_per_second / ceiling.result.requests_per_second:.0%}" if ceiling else "-"
        )
        print(
            f"| {r.label} | {r.requests_per_second:.0f} | {ratio} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.cpu_us_per_request:.0f} | {figure.db_cpu_us:.0f} | {statements} |"
        )


def main() -> None:
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = os.environ | {"STOREFRONT_LOG_LEVEL": "WARNING", "STOREFRONT_RATE_LIMITS": "false"}
    storefront = os.path.join(os.path.dirname(sys.executable), "storefront")
    subprocess.run([storefront, "seed-demo", "--products", str(PRODUCTS)], check=True, env=env)
    product_id = asyncio.run(first_product_id())
    paths = routes(product_id, asyncio.run(deep_cursor()))
    wanted = [word for word in os.environ.get("BENCH_ROUTES", "").split(",") if word]
    if wanted:
        paths = {label: path for label, path in paths.items() if any(w in label for w in wanted)}
    counts, bodies = asyncio.run(measure_in_process(paths))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(bodies, file)
    ceiling_env = env | {"BENCH_BODIES": file.name, "BENCH_PRODUCT_ID": product_id}

    byte_ceilings: dict[str, Figure] = {}
    with pinned_server(
        granian_command("bench.bare_asyncpg:bytes_app", PORT, factory=False), BASE, ceiling_env
    ) as pid:
        for label, path in paths.items():
            byte_ceilings[label] = wrk(
                f"ceiling: bare ASGI, same bytes as {label}", BASE + path, pid
            )
    with pinned_server(
        granian_command("bench.bare_asyncpg:db_app", PORT, factory=False),
        f"{BASE}/detail",
        ceiling_env,
    ) as pid:
        db_list = wrk("ceiling: bare asyncpg, first page SQL, facets kept", f"{BASE}/list", pid)
        db_list_facets = wrk(
            "ceiling: bare asyncpg, first page SQL + facets SQL", f"{BASE}/list-facets", pid
        )
        db_detail = wrk("ceiling: bare asyncpg, detail SQL", f"{BASE}/detail", pid)
    db_ceilings = {"GET /products (first page)": db_list, "GET /products/{id}": db_detail}

    rows: list[tuple[Figure, Figure | None, str]] = []
    rows += [(c, None, "-") for c in byte_ceilings.values()] + [
        (db_list, None, "1"),
        (db_list_facets, None, "2"),
        (db_detail, None, "1"),
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(MISS_SCRIPT)
    memory = []
    for cache_name, cache_env in (
        ("Redis", {"STOREFRONT_REDIS_URL": redis_url}),
        ("in-process", {}),
    ):
        Redis.from_url(redis_url).flushdb()
        server_env = {k: v for k, v in env.items() if k != "STOREFRONT_REDIS_URL"} | cache_env
        command = granian_command("storefront.app:serve_app", PORT, factory=True)
        with pinned_server(command, f"{BASE}/health", server_env) as pid:
            for label, path in paths.items():
                hit = wrk(f"{label}, {cache_name} cache hit", BASE + path, pid)
                rows.append((hit, byte_ceilings[label], "0"))
            for label, path in paths.items():
                miss = wrk(f"{label}, {cache_name} cache miss", BASE + path, pid, script.name)
                rows.append((miss, db_ceilings.get(label), counts[label]))
            memory.append(f"{cache_name}: {rss_mb(pid):.0f} MB RSS after its runs")
    print_table(rows)
    print()
    print("; ".join(memory))


if __name__ == "__main__":
    main()
