"""The `storefront` command as an operator runs it: real processes, real signals."""

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from storefront.core.database import create_engine
from tests.ports import free_port
from tests.processes import (
    STARTUP_TIMEOUT,
    end,
    environment,
    run_storefront,
    serving,
    start,
    stop,
)


def _postgres_processes_for(pgdata: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "postgres" in cmdline and str(pgdata) in cmdline:
                pids.append(int(entry.name))
    return pids


def test_serve_logs_one_json_line_per_request_and_stops_on_sigterm(database_url: str) -> None:
    env = environment(STOREFRONT_DATABASE_URL=database_url, STOREFRONT_ENV="test")
    with serving(env) as (process, base_url):
        httpx.get(
            f"{base_url}/api/v1/categories?token=query-secret",
            headers={"Authorization": "Bearer header-secret", "X-Request-ID": "trace-1"},
        )
        httpx.post(
            f"{base_url}/api/v1/categories",
            json={"password": "body-secret"},
        )
        returncode, stderr = stop(process, signal.SIGTERM)

    assert returncode == 0
    lines = [json.loads(line) for line in stderr.splitlines()]
    requests = [line for line in lines if line["message"] == "request"]
    assert {
        "method": "GET",
        "route": "/api/v1/categories",
        "status": 200,
        "request_id": "trace-1",
    }.items() <= requests[-2].items()
    assert requests[-2]["duration_ms"] >= 0
    assert requests[-1]["status"] == 405
    for secret in ("query-secret", "header-secret", "body-secret"):
        assert secret not in stderr


CATEGORIES_SERVED = (
    "storefront_http_requests_total",
    {"method": "GET", "route": "/api/v1/categories", "status": "200"},
)


def _categories_served(metrics: Iterable[Metric]) -> float:
    samples = (sample for metric in metrics for sample in metric.samples)
    return next((s.value for s in samples if (s.name, s.labels) == CATEGORIES_SERVED), 0.0)


def _scrape(base_url: str) -> Iterable[Metric]:
    return text_string_to_metric_families(httpx.get(f"{base_url}/metrics").text)


def _categories_served_by_each_worker(metrics_dir: Path) -> list[float]:
    """Read from each worker's own file: which workers have answered GET /api/v1/categories.
    A file is empty for a moment after its worker creates it (prometheus/client_python#1199)."""
    per_worker = (
        _categories_served(MultiProcessCollector.merge([str(path)]))  # type: ignore[no-untyped-call]
        for path in metrics_dir.glob("counter_*.db")
        if path.stat().st_size
    )
    return [served for served in per_worker if served]


def test_several_workers_add_up_their_metrics_and_remove_them_when_stopped(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = environment(
        STOREFRONT_DATABASE_URL=database_url,
        STOREFRONT_REDIS_URL=redis_url,
        STOREFRONT_ENV="test",
        TMPDIR=str(tmp_path),  # where serve makes its metrics directory
    )
    with serving(env, workers=2) as (process, base_url):
        [metrics_dir] = tmp_path.glob("storefront-metrics-*")
        requests = 0
        # A new connection each time, so both workers come to answer some (about every other).
        while len(per_worker := _categories_served_by_each_worker(metrics_dir)) < 2:
            assert requests < 200, f"{len(per_worker)} of 2 workers counted {requests} requests"
            httpx.get(f"{base_url}/api/v1/categories").raise_for_status()
            requests += 1
        # A request is counted as its answer leaves, so the last may lag a moment behind.
        deadline = time.monotonic() + 30
        while sum(_categories_served_by_each_worker(metrics_dir)) < requests:
            assert time.monotonic() < deadline, "the workers' counts never reached the requests"
            time.sleep(0.05)
        scraped = [_categories_served(_scrape(base_url)) for _ in range(4)]
        returncode, _ = stop(process, signal.SIGTERM)

    assert scraped == [requests] * 4  # whichever worker answers /metrics
    assert returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_embedded_database_starts_seeds_stops_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = environment(STOREFRONT_DATA_DIR=str(data_dir))
    pgdata = data_dir.resolve() / "postgres"

    with serving(env) as (process, base_url):
        categories = httpx.get(f"{base_url}/api/v1/categories").json()["categories"]
        asyncio.run(_add_category(pgdata, "C999", "Kept across restarts"))
        returncode, _ = stop(process, signal.SIGTERM)

    assert returncode == 0
    assert categories[:2] == [
        {"category_id": "C100", "name": "Clothing"},
        {"category_id": "C200", "name": "Grocery"},
    ]
    assert _postgres_processes_for(pgdata) == []

    with serving(env) as (process, base_url):
        started = time.monotonic()
        names = {c["name"] for c in httpx.get(f"{base_url}/api/v1/categories").json()["categories"]}
        returncode, _ = stop(process, signal.SIGINT)

    assert "Kept across restarts" in names
    assert time.monotonic() - started < STARTUP_TIMEOUT
    assert _postgres_processes_for(pgdata) == []


async def _add_category(pgdata: Path, code: str, name: str) -> None:
    engine = create_engine(f"postgresql+asyncpg://postgres@/storefront?host={pgdata}", pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO categories (category_id, name) VALUES (:code, :name)"),
                {"code": code, "name": name},
            )
    finally:
        await engine.dispose()


def test_production_without_required_settings_stops_with_one_clear_line() -> None:
    result = run_storefront("serve", env=environment(STOREFRONT_ENV="production"))

    assert result.returncode == 2
    assert result.stderr.startswith(
        "storefront: STOREFRONT_SECRET_KEY and STOREFRONT_DATABASE_URL must be set when "
        "STOREFRONT_ENV=production. "
    )
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_production_with_a_weak_key_and_development_backends_is_refused_by_every_command(
    database_url: str,
) -> None:
    """Mail and texts written to files, and a guessable signing key, never reach production."""
    env = environment(
        STOREFRONT_ENV="production",
        STOREFRONT_SECRET_KEY="tiny-secret",
        STOREFRONT_DATABASE_URL=database_url,
        STOREFRONT_PAYMENT_GATEWAY="stripe",
        STOREFRONT_STRIPE_SECRET_KEY="sk_live_abc",
        STOREFRONT_STRIPE_PUBLISHABLE_KEY="pk_live_abc",
        STOREFRONT_STRIPE_WEBHOOK_SECRET="whsec_abc",
    )

    results = [run_storefront(command, env=env) for command in ("serve", "migrate")]

    for result in results:
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1
        for setting in ("STOREFRONT_SECRET_KEY", "STOREFRONT_SMTP_URL", "STOREFRONT_SMS_BACKEND"):
            assert setting in result.stderr
        assert "tiny-secret" not in result.stderr


def test_several_workers_without_redis_are_refused(database_url: str) -> None:
    result = run_storefront(
        "serve", "--workers", "2", env=environment(STOREFRONT_DATABASE_URL=database_url)
    )

    assert result.returncode == 2
    assert "--workers > 1 needs STOREFRONT_REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_server_on_a_taken_port_is_refused(database_url: str) -> None:
    """granian binds with SO_REUSEPORT: without the check a second `serve` shared the port
    with the first, each answering about half the requests (old code beside new)."""
    env = environment(STOREFRONT_DATABASE_URL=database_url, STOREFRONT_ENV="test")
    with serving(env) as (_, base_url):
        port = base_url.rsplit(":", 1)[1]
        result = run_storefront("serve", "--port", port, env=env)

    assert result.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_without_a_broker_explains_why_it_cannot_start(database_url: str) -> None:
    result = run_storefront("worker", env=environment(STOREFRONT_DATABASE_URL=database_url))

    assert result.returncode == 2
    assert "storefront worker needs STOREFRONT_BROKER_URL" in result.stderr


def test_worker_consumes_until_sigterm_then_exits_cleanly(
    database_url: str, broker_url: str
) -> None:
    env = environment(
        STOREFRONT_DATABASE_URL=database_url,
        STOREFRONT_BROKER_URL=broker_url,
        STOREFRONT_ENV="test",
    )
    worker = start(("worker", "--metrics-port", str(free_port())), env)
    try:
        assert worker.stderr is not None
        for line in worker.stderr:
            if json.loads(line)["message"] == "worker consuming":
                break
        returncode, stderr = stop(worker, signal.SIGTERM)
    finally:
        end(worker)

    assert returncode == 0
    assert "worker stopping" in stderr
    assert "Traceback" not in stderr, stderr


def test_create_admin_makes_a_verified_administrator_and_sends_no_code(database_url: str) -> None:
    result = _create_admin(database_url, username="site_admin", password="Adm1n#Passw0rd")

    assert result.returncode == 0, result.stderr
    assert "Administrator site_admin created." in result.stdout
    role, verified = asyncio.run(_admin_row(database_url))
    assert (role, verified) == ("admin", True)
    assert asyncio.run(_count(database_url, "one_time_codes")) == 0
    assert asyncio.run(_count(database_url, "outbox_events")) == 0  # no email, no text


def test_create_admin_applies_the_registration_rules(database_url: str) -> None:
    result = _create_admin(database_url, username="adm", password="password")

    assert result.returncode == 2
    assert "username: Username must be 6-20 characters." in result.stderr
    assert "Traceback" not in result.stderr


def _create_admin(
    database_url: str, *, username: str, password: str
) -> subprocess.CompletedProcess[str]:
    details = {"username": username, "email": "admin@example.com", "mobile": "+14155552671"}
    options = [part for name, value in details.items() for part in (f"--{name}", value)]
    return run_storefront(
        "create-admin",
        *options,
        "--password",
        password,
        env=environment(STOREFRONT_DATABASE_URL=database_url, STOREFRONT_ENV="test"),
    )


async def _admin_row(database_url: str) -> tuple[str, bool]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT role, is_email_verified AND is_mobile_verified FROM users")
                )
            ).one()
    finally:
        await engine.dispose()
    return str(row[0]), bool(row[1])


async def _count(database_url: str, table: str) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
    finally:
        await engine.dispose()
    return int(count or 0)
