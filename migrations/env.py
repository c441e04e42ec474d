"""Alembic environment: async engine on asyncpg, metadata from every module's models."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from storefront.core.config import load_settings
from storefront.core.database import resolve_database_url
from storefront.models import metadata

config = context.config


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return url if isinstance(url, str) else resolve_database_url(load_settings())


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
asyncio.run(_run_online())
