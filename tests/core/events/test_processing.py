"""The processor's own guarantees, with handlers written for the test."""

import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.events.outbox import Event, record_event
from storefront.core.events.processing import EventProcessor, Outcome, RetryPolicy
from storefront.core.events.registry import HandlerRegistry


async def record(sessions: async_sessionmaker[AsyncSession], event_type: str) -> uuid.UUID:
    async with unit_of_work(sessions) as session:
        return record_event(session, event_type, {})


async def stored(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> OutboxEvent:
    async with sessions() as session:
        row = await session.scalar(select(OutboxEvent).where(OutboxEvent.event_id == event_id))
    assert row is not None
    return row


def processor(
    sessions: async_sessionmaker[AsyncSession], registry: HandlerRegistry
) -> EventProcessor:
    return EventProcessor(sessions, registry, RetryPolicy(max_attempts=3, base_seconds=0.01))


async def test_a_handler_whose_sql_fails_is_counted_and_dead_lettered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def broken_sql(session: AsyncSession, event: Event) -> None:
        await session.execute(text("SELECT 1 / 0"))

    registry = HandlerRegistry()
    registry.register("test.broken", broken_sql)
    event_id = await record(sessions, "test.broken")

    outcomes = [(await processor(sessions, registry).process(event_id)).outcome for _ in range(4)]

    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.DEAD, Outcome.SKIPPED]
    row = await stored(sessions, event_id)
    assert (row.status, row.attempts) == (EventStatus.DEAD, 3)
    assert "division by zero" in (row.last_error or "")


async def test_a_handled_event_is_not_handled_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    calls: list[int] = []

    async def count(session: AsyncSession, event: Event) -> None:
        calls.append(event.attempt)

    registry = HandlerRegistry()
    registry.register("test.count", count)
    event_id = await record(sessions, "test.count")

    first = await processor(sessions, registry).process(event_id)
    second = await processor(sessions, registry).process(event_id)

    assert (first.outcome, second.outcome) == (Outcome.HANDLED, Outcome.SKIPPED)
    assert calls == [1]
    row = await stored(sessions, event_id)
    assert (row.status, row.attempts) == (EventStatus.HANDLED, 1)


async def test_an_event_without_a_handler_dies_after_its_attempts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await record(sessions, "test.nobody_listens")

    for _ in range(3):
        await processor(sessions, HandlerRegistry()).process(event_id)

    row = await stored(sessions, event_id)
    assert row.status == EventStatus.DEAD
    assert "no handler" in (row.last_error or "")
