"""Handling one event exactly once in effect: the event's row is locked while its handler runs,
and an event already handled (or dead) is skipped, so redeliveries and concurrent deliveries do
nothing twice."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.events.outbox import Event
from storefront.core.events.registry import HandlerRegistry
from storefront.core.metrics import EVENTS_DEAD, EVENTS_FAILED, EVENTS_HANDLED

logger = logging.getLogger(__name__)

_MAX_ERROR_LENGTH = 500


class _TransactionAborted(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class Outcome(Enum):
    HANDLED = "handled"
    SKIPPED = "skipped"  # already handled or dead, unknown, or being handled elsewhere
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_in: timedelta | None = None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float

    def delay_after(self, attempts: int) -> timedelta:
        """Exponential backoff: base, 2 x base, 4 x base, ..."""
        return timedelta(seconds=self.base_seconds * 2 ** (attempts - 1))


class EventProcessor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        registry: HandlerRegistry,
        retry: RetryPolicy,
    ) -> None:
        self.sessions = sessions
        self.registry = registry
        self.retry = retry

    async def process(self, event_id: uuid.UUID, *, skip_locked: bool = False) -> Result:
        """Run the event's handler unless it already ran. With skip_locked, an event another
        process holds is skipped instead of waited for (the in-process dispatcher's polling)."""
        try:
            async with unit_of_work(self.sessions) as session:
                row = await self._locked(session, event_id, skip_locked=skip_locked)
                if row is None:
                    return Result(Outcome.SKIPPED)
                return await self._run_handler(session, row)
        except _TransactionAborted as aborted:
            # The handler's SQL failed, so its transaction could not commit: count the failed
            # attempt in a transaction of its own, or the event would be retried for ever.
            async with unit_of_work(self.sessions) as session:
                row = await self._locked(session, event_id, skip_locked=False)
                if row is None:
                    return Result(Outcome.SKIPPED)
                return self._record_failure(row, row.attempts + 1, aborted.error)

    async def _locked(
        self, session: AsyncSession, event_id: uuid.UUID, *, skip_locked: bool
    ) -> OutboxEvent | None:
        """The event's row, locked, if it still waits to be handled."""
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.event_id == event_id)
            .with_for_update(skip_locked=skip_locked)
        )
        row = await session.scalar(query)
        if row is None or row.status in (EventStatus.HANDLED, EventStatus.DEAD):
            return None
        return row

    async def _run_handler(self, session: AsyncSession, row: OutboxEvent) -> Result:
        attempt = row.attempts + 1
        handler = self.registry.handler_for(row.event_type)
        event = Event(row.event_id, row.event_type, row.payload, attempt)
        try:
            if handler is None:
                raise LookupError(f"no handler is registered for {row.event_type!r}")
            await handler(session, event)
        except DBAPIError as exc:
            raise _TransactionAborted(exc) from exc
        except Exception as exc:
            return self._record_failure(row, attempt, exc)
        row.attempts = attempt
        row.status = EventStatus.HANDLED
        row.handled_at = func.now()
        row.last_error = None
        EVENTS_HANDLED.labels(row.event_type).inc()
        return Result(Outcome.HANDLED)

    def _record_failure(self, row: OutboxEvent, attempt: int, exc: Exception) -> Result:
        row.attempts = attempt
        row.last_error = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_LENGTH]
        EVENTS_FAILED.labels(row.event_type).inc()
        context = {"event_id": str(row.event_id), "event_type": row.event_type}
        if row.attempts >= self.retry.max_attempts:
            row.status = EventStatus.DEAD
            EVENTS_DEAD.labels(row.event_type).inc()
            logger.error(
                "event dead-lettered",
                extra=context | {"attempts": row.attempts, "error": row.last_error},
            )
            return Result(Outcome.DEAD)
        delay = self.retry.delay_after(row.attempts)
        row.available_at = func.now() + delay
        logger.warning(
            "event handler failed; will retry",
            extra=context | {"attempts": row.attempts, "retry_in_s": delay.total_seconds()},
        )
        return Result(Outcome.RETRY, delay)
