"""Engine, sessions and the one unit-of-work helper: a request's writes commit together or not
at all."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, func, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storefront.core.config import Settings
from storefront.core.db_timeouts import asyncpg_timeouts
from storefront.core.embedded_db import start_embedded_postgres

# The key under which a sessionmaker carries its outbox wake-up (see core/events/outbox.py).
ON_OUTBOX_COMMIT = "on_outbox_commit"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
) -> AsyncEngine:
    """Timeouts in seconds (None: no limit). A request waits for a pooled connection at most
    one statement timeout: past that the database is not keeping up."""
    # No pool_pre_ping: it costs a round trip per checkout; a connection found dead is
    # invalidated when it fails, and the pool replaces it.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=statement_timeout if statement_timeout is not None else 30.0,
        connect_args=dict(asyncpg_timeouts(connect_timeout, statement_timeout)),
    )


def create_sessionmaker(
    engine: AsyncEngine, *, on_outbox_commit: Callable[[], None] | None = None
) -> async_sessionmaker[AsyncSession]:
    """on_outbox_commit is called after each commit that recorded outbox events."""
    info = {ON_OUTBOX_COMMIT: on_outbox_commit} if on_outbox_commit else None
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends, rolled back if it raises.

    Services only flush; this is the one place that commits.
    """
    async with sessions() as session, session.begin():
        yield session


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(request.app.state.sessions) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit never looks like success.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


class Timestamped:
    """created_at / updated_at columns, kept by the database."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def resolve_database_url(settings: Settings) -> str:
    """The configured database as an asyncpg URL, else the embedded server (started if needed)."""
    if settings.database_url is None:
        return start_embedded_postgres(settings.data_dir)
    url = make_url(settings.database_url).set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


async def execute_outside_transaction(url: str, statement: str) -> None:
    """One statement on its own short-lived connection in autocommit mode, for what cannot run
    in a transaction (CREATE DATABASE, DROP DATABASE)."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()
