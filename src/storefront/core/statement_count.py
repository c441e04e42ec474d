"""Counts the SQL statements a request sends, through the session's engine and through the read
pool, for the tests and benchmarks that hold the app to DESIGN.md's statement budgets."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Select, event

from storefront.core.reads import NO_VALUES, Reader, Values, compiled


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


# Set in the counting task (an in-process ASGI transport runs the request in it): statements that
# the app's background tasks (the outbox poller) send at the same time are not counted.
_counting: ContextVar[StatementLog | None] = ContextVar("counting", default=None)


class _CountingReader:
    """The app's reader, each statement also written to the log of the counting task."""

    def __init__(self, reader: Reader, log: StatementLog) -> None:
        self.reader = reader
        self.log = log

    def _record(self, statement: Select[Any]) -> None:
        if _counting.get() is self.log:
            self.log.statements.append(compiled(statement).sql)

    async def all(self, statement: Select[Any], values: Values = NO_VALUES) -> Sequence[Any]:
        self._record(statement)
        return await self.reader.all(statement, values)

    async def first(self, statement: Select[Any], values: Values = NO_VALUES) -> Any | None:
        self._record(statement)
        return await self.reader.first(statement, values)


@contextmanager
def counted_statements(app: FastAPI) -> Iterator[StatementLog]:
    """Statements the current task sends through the app while the block runs."""
    log = StatementLog()
    engine = app.state.engine.sync_engine
    reader = app.state.reader

    def record(*args: Any) -> None:
        if _counting.get() is log:
            log.statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    app.state.reader = _CountingReader(reader, log)
    token = _counting.set(log)
    try:
        yield log
    finally:
        _counting.reset(token)
        app.state.reader = reader
        event.remove(engine, "before_cursor_execute", record)
