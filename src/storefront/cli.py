"""The `storefront` command: serve, worker, migrate, seed-demo."""

import asyncio
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Annotated

import typer
from granian import Granian
from granian.constants import Interfaces, Loops
from prometheus_client import start_http_server
from redis.asyncio import Redis

from storefront.auth.context import build_auth_context
from storefront.auth.registration import create_admin
from storefront.catalog.cache import CACHE_RESOURCE, build_catalog_cache
from storefront.catalog.demo import DEFAULT_DEMO_PRODUCTS, seed_demo, seed_demo_if_empty
from storefront.core.config import ConfigurationError, Environment, Settings, load_settings
from storefront.core.database import (
    create_engine,
    create_sessionmaker,
    resolve_database_url,
    unit_of_work,
)
from storefront.core.errors import AppError
from storefront.core.events.runtime import EventContext, run_worker
from storefront.core.logging import configure_logging
from storefront.core.metrics import MULTIPROC_DIR_VARIABLE
from storefront.core.migrations import migrate
from storefront.payments.context import build_payments_context
from storefront.tasks import build_registry, periodic_jobs

GRACEFUL_SHUTDOWN_SECONDS = 30
# Granian's own lines go through the root logger, so they come out as JSON like ours.
GRANIAN_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"_granian": {"handlers": [], "propagate": True}},
}

cli = typer.Typer(help="Storefront API.", no_args_is_help=True, pretty_exceptions_enable=False)


def main() -> None:
    try:
        cli()
    except ConfigurationError as exc:
        typer.echo(f"storefront: {exc}", err=True)
        sys.exit(2)


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level)
    return settings


def _prepare_database(settings: Settings, *, seed_when_empty: bool) -> str:
    """Start the embedded server if needed, migrate outside production, and maybe seed the demo."""
    database_url = resolve_database_url(settings)
    if settings.env is not Environment.PRODUCTION:
        migrate(database_url)
    if seed_when_empty:
        asyncio.run(_seed_demo(database_url, only_if_empty=True))
    return database_url


async def _seed_demo(
    database_url: str, *, only_if_empty: bool, products: int = DEFAULT_DEMO_PRODUCTS
) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            seed = seed_demo_if_empty if only_if_empty else seed_demo
            await seed(session, products)
    finally:
        await engine.dispose()


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
) -> None:
    """Serve the HTTP API.

    Outside production it migrates first; an empty embedded database gets the demo catalog.
    """
    settings = _settings()
    if workers > 1 and not settings.redis_url:
        raise ConfigurationError(
            "--workers > 1 needs STOREFRONT_REDIS_URL: rate limits and caches kept in one "
            "process would not be shared between the workers."
        )
    _refuse_a_taken_port(host, port)
    seed = settings.uses_embedded_database and settings.demo_data
    # Worker processes find the database (embedded or not) through the environment.
    os.environ["STOREFRONT_DATABASE_URL"] = _prepare_database(settings, seed_when_empty=seed)
    server = Granian(
        "storefront.app:serve_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=host,
        port=port,
        workers=workers,
        loop=Loops.uvloop,
        log_access=False,  # the app writes one JSON line per request itself
        log_dictconfig=GRANIAN_LOGGING,
        workers_kill_timeout=GRACEFUL_SHUTDOWN_SECONDS,
    )
    with _metrics_shared_by_workers() if workers > 1 else nullcontext():
        server.serve()


def _refuse_a_taken_port(host: str, port: int) -> None:
    """granian binds with SO_REUSEPORT, so a second server on a port would silently share it
    with the first (about half the requests each: old code beside new after a restart gone
    wrong). A plain bind fails while anyone listens there."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot listen on {host}:{port}: {exc.strerror}. Is another server running there?"
        ) from None


@contextmanager
def _metrics_shared_by_workers() -> Iterator[None]:
    """Workers that write their metrics to PROMETHEUS_MULTIPROC_DIR, for /metrics to add up.

    prometheus_client reads the variable when it is imported, and this process imported it
    before the variable was set, so the workers are spawned (fresh interpreters) rather than
    forked from it. A directory the operator did not choose is removed when the server stops.
    """
    multiprocessing.set_start_method("spawn", force=True)
    if MULTIPROC_DIR_VARIABLE in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="storefront-metrics-") as directory:
        os.environ[MULTIPROC_DIR_VARIABLE] = directory
        yield


@cli.command()
def worker(
    metrics_port: Annotated[
        int, typer.Option(help="Port for Prometheus metrics on 127.0.0.1; 0 turns them off.")
    ] = 9101,
) -> None:
    """Consume the queue: send notifications, run handlers and periodic jobs, relay the outbox."""
    settings = _settings()
    if not settings.broker_url:
        raise ConfigurationError(
            "storefront worker needs STOREFRONT_BROKER_URL; without a broker the API process "
            "handles events itself."
        )
    if metrics_port:
        start_http_server(metrics_port, addr="127.0.0.1")
    asyncio.run(_work(settings, settings.broker_url, resolve_database_url(settings)))


async def _work(settings: Settings, broker_url: str, database_url: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(
        database_url,
        pool_size=settings.worker_concurrency,
        connect_timeout=settings.db_connect_timeout,
        statement_timeout=settings.db_statement_timeout,
    )
    wake = asyncio.Event()
    # Handlers that change the catalog (stock released by an expired order) invalidate the API
    # processes' caches through Redis; without Redis those caches are the API's own.
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    catalog = build_catalog_cache(redis) if redis is not None else None
    resources = {CACHE_RESOURCE: catalog} if catalog is not None else {}
    sessions = create_sessionmaker(engine, on_outbox_commit=wake.set, resources=resources)
    payments = build_payments_context(settings, sessions)
    registry = build_registry(settings, payments)
    context = EventContext(settings, sessions, wake, registry, periodic_jobs(settings, payments))
    try:
        await run_worker(context, broker_url, stop, grace_seconds=GRACEFUL_SHUTDOWN_SECONDS)
    finally:
        await registry.aclose()
        if catalog is not None:
            await catalog.aclose()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()


@cli.command("create-admin")
def create_admin_command(
    username: Annotated[str, typer.Option(prompt=True)],
    email: Annotated[str, typer.Option(prompt=True)],
    mobile: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an administrator (the same rules as registration; contacts marked verified)."""
    settings = _settings()
    details = {"username": username, "email": email, "mobile": mobile, "password": password}
    asyncio.run(_create_admin(settings, resolve_database_url(settings), details))
    typer.echo(f"Administrator {username} created.")


async def _create_admin(settings: Settings, database_url: str, details: dict[str, str]) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        auth = build_auth_context(settings)
        async with unit_of_work(create_sessionmaker(engine)) as session:
            await create_admin(session, auth, **details)
    except AppError as exc:
        problems = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise ConfigurationError(f"{exc.message} {problems}".strip()) from None
    finally:
        await engine.dispose()


@cli.command("migrate")
def migrate_command() -> None:
    """Apply the database migrations."""
    migrate(resolve_database_url(_settings()))


@cli.command("seed-demo")
def seed_demo_command(
    products: Annotated[
        int, typer.Option(min=0, help="Demo products to generate.")
    ] = DEFAULT_DEMO_PRODUCTS,
) -> None:
    """Load the demo catalog (idempotent: the same products on every run)."""
    database_url = _prepare_database(_settings(), seed_when_empty=False)
    asyncio.run(_seed_demo(database_url, only_if_empty=False, products=products))
