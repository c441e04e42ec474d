"""Engine, sessions and the one transaction boundary: a request's (or a worker message's) writes
commit together or not at all, and what must follow the outcome runs in its hooks."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, func, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column

from storefront.core.config import Settings
from storefront.core.db_timeouts import asyncpg_timeouts
from storefront.core.embedded_db import start_embedded_postgres
from storefront.core.errors import AppError

logger = logging.getLogger(__name__)

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
    engine: AsyncEngine,
    *,
    on_outbox_commit: Callable[[], None] | None = None,
    resources: Mapping[str, object] | None = None,
) -> async_sessionmaker[AsyncSession]:
    """on_outbox_commit is called after each commit that recorded outbox events. `resources`
    are the process's shared handles a service may need in its after-commit hooks (the catalog
    cache, say), found in `session.info` under their keys."""
    info: dict[str, object] = dict(resources or {})
    if on_outbox_commit:
        info[ON_OUTBOX_COMMIT] = on_outbox_commit
    return async_sessionmaker(
        engine, expire_on_commit=False, info=info, sync_session_class=LockedRowsSession
    )


class LockedRowsSession(Session):
    """A session in which a row read FOR UPDATE is the truth: its values replace those of an
    object the session had already loaded. By default the identity map keeps the earlier read,
    so a service that reads, waits (on a gateway, say), then locks would decide on stale data
    (a payment captured meanwhile by its webhook was refunded as a second payment)."""


@event.listens_for(LockedRowsSession, "do_orm_execute")
def _refresh_locked_rows(state: ORMExecuteState) -> None:
    if state.is_select and getattr(state.statement, "_for_update_arg", None) is not None:
        state.update_execution_options(populate_existing=True)


Hook = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "after_commit_hooks"
_AFTER_ROLLBACK = "after_rollback_hooks"


def after_commit(session: AsyncSession, hook: Hook) -> None:
    """Run `hook` once the unit of work has committed (a cache invalidation, say); never if it
    rolls back. Hooks run in the order they were added, before the response is sent."""
    session.info.setdefault(_AFTER_COMMIT, []).append(hook)


def after_rollback(session: AsyncSession, hook: Hook) -> None:
    """Run `hook` if the unit of work rolls back instead of committing."""
    session.info.setdefault(_AFTER_ROLLBACK, []).append(hook)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends, rolled back if it raises, unless what
    it raises is an AppError marked `committing()` (a failed login must still be counted).

    This is the one place that commits; services only flush.
    """
    async with sessions() as session:
        try:
            yield session
        except AppError as error:
            if not error.commit_first:
                await _roll_back(session)
                raise
            await _commit(session)
            raise
        except BaseException:
            await _roll_back(session)
            raise
        else:
            await _commit(session)


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except BaseException:
        await _roll_back(session)
        raise
    await _run_hooks(session, _AFTER_COMMIT)


async def _roll_back(session: AsyncSession) -> None:
    await session.rollback()
    await _run_hooks(session, _AFTER_ROLLBACK)


async def _run_hooks(session: AsyncSession, kind: str) -> None:
    """The transaction's outcome is settled: a failing hook is logged, never turned into an
    error for a write that did commit (or did not)."""
    hooks: list[Hook] = session.info.pop(kind, [])
    session.info.pop(_AFTER_COMMIT, None)
    session.info.pop(_AFTER_ROLLBACK, None)
    for hook in hooks:
        try:
            await hook()
        except Exception:
            logger.exception("transaction hook failed", extra={"hook": kind})


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(request.app.state.sessions) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit never looks like
# success, and after-commit hooks (cache invalidation) have run when the client reads again.
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
