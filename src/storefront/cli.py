"""The `storefront` command: serve, migrate, seed-demo."""

import asyncio
import os
import sys
import tempfile
from typing import Annotated

import typer
from granian import Granian
from granian.constants import Interfaces, Loops

from storefront.catalog.demo import seed_demo, seed_demo_if_empty
from storefront.core.config import ConfigurationError, Environment, Settings, load_settings
from storefront.core.database import (
    create_engine,
    create_sessionmaker,
    resolve_database_url,
    unit_of_work,
)
from storefront.core.logging import configure_logging
from storefront.core.migrations import migrate

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


async def _seed_demo(database_url: str, *, only_if_empty: bool) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            await (seed_demo_if_empty(session) if only_if_empty else seed_demo(session))
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
    seed = settings.uses_embedded_database and settings.demo_data
    # Worker processes find the database (embedded or not) through the environment.
    os.environ["STOREFRONT_DATABASE_URL"] = _prepare_database(settings, seed_when_empty=seed)
    if workers > 1:
        os.environ.setdefault(
            "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="storefront-metrics-")
        )
    Granian(
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
    ).serve()


@cli.command("migrate")
def migrate_command() -> None:
    """Apply the database migrations."""
    migrate(resolve_database_url(_settings()))


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo catalog (idempotent)."""
    database_url = _prepare_database(_settings(), seed_when_empty=False)
    asyncio.run(_seed_demo(database_url, only_if_empty=False))
