"""Read-only queries outside any transaction, for the public reads that must be fast.

The statements are SQLAlchemy Core selects with named bind parameters, compiled once to the SQL
asyncpg runs; each call runs one on a connection of an asyncpg pool in autocommit, one round
trip, and hands back the driver's records (mappings of column name to value). A request's writes,
and reads that must see them, use the session (core/database.py), never this.

`Reader` is what a read function takes, so the same function serves the public route (the pool)
and an administrator's write that answers with what it just changed (`SessionReader`, inside
that write's transaction).
"""

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.db_timeouts import asyncpg_timeouts
from storefront.core.errors import is_unavailable, unavailable_error

Values = Mapping[str, object]
NO_VALUES: Values = {}
_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


class Reader(Protocol):
    async def all(self, statement: Select[Any], values: Values = NO_VALUES) -> Sequence[Any]:
        """Every row, each a mapping of column name to value."""

    async def first(self, statement: Select[Any], values: Values = NO_VALUES) -> Any | None: ...


@dataclass(frozen=True)
class CompiledRead:
    sql: str
    parameter_names: tuple[str, ...]
    # Values fixed in the statement itself (an array index, a literal limit).
    fixed: Mapping[str, object]

    def arguments(self, values: Values) -> list[object]:
        return [
            values[name] if name in values else self.fixed[name] for name in self.parameter_names
        ]


@functools.lru_cache(maxsize=1024)
def compiled(statement: Select[Any]) -> CompiledRead:
    """The SQL text and parameter order SQLAlchemy would send through asyncpg. Statements are
    module-level templates (bind parameters for every value), so each compiles once."""
    result = statement.compile(dialect=_DIALECT)
    if "__[POSTCOMPILE_" in result.string:
        raise ValueError("expanding IN parameters need a render step: use = ANY(array)")
    return CompiledRead(result.string, tuple(result.positiontup or ()), result.params)


async def _no_reset(connection: asyncpg.Connection) -> None:
    """Connections here only ever run single SELECTs in autocommit: nothing of the session
    (settings, listeners, locks, cursors) can outlive a query, so the round trip of asyncpg's
    default reset on every release buys nothing."""


async def open_pool(
    url: str,
    size: int,
    *,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
) -> asyncpg.Pool:
    """url: a SQLAlchemy or libpq PostgreSQL URL; timeouts in seconds (None: no limit)."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=size,
        reset=_no_reset,
        **asyncpg_timeouts(connect_timeout, statement_timeout),
    )


class PoolReader:
    """Errors of a database that cannot serve are ServiceUnavailable (503), as on the session
    path, so the catalog front, which runs outside the framework's handlers, answers them too."""

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float | None = None) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout

    async def all(self, statement: Select[Any], values: Values = NO_VALUES) -> Sequence[Any]:
        read = compiled(statement)
        with _unavailable_as_503():
            async with self.pool.acquire(timeout=self.acquire_timeout) as connection:
                rows: list[asyncpg.Record] = await connection.fetch(
                    read.sql, *read.arguments(values)
                )
        return rows

    async def first(self, statement: Select[Any], values: Values = NO_VALUES) -> Any | None:
        read = compiled(statement)
        with _unavailable_as_503():
            async with self.pool.acquire(timeout=self.acquire_timeout) as connection:
                return await connection.fetchrow(read.sql, *read.arguments(values))


@contextmanager
def _unavailable_as_503() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if is_unavailable(exc):
            raise unavailable_error(exc) from exc
        raise


class SessionReader:
    """The same reads inside a session's transaction (they see its uncommitted writes)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self, statement: Select[Any], values: Values = NO_VALUES) -> Sequence[Any]:
        rows: Sequence[Any] = (await self.session.execute(statement, dict(values))).mappings().all()
        return rows

    async def first(self, statement: Select[Any], values: Values = NO_VALUES) -> Any | None:
        return (await self.session.execute(statement, dict(values))).mappings().first()


async def _pool_reader(request: Request) -> PoolReader:
    reader: PoolReader = request.app.state.reader
    return reader


# Public reads: the app's read pool (opened by the lifespan).
ReaderDep = Annotated[Reader, Depends(_pool_reader)]
