"""Without a broker, the API process handles outbox events itself with the same handlers and the
same processor as the worker; retries wait in the outbox (available_at) instead of a queue."""

import asyncio
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.events.processing import EventProcessor

BATCH_SIZE = 100


async def handle_due_events(
    sessions: async_sessionmaker[AsyncSession], processor: EventProcessor, concurrency: int
) -> int:
    """Handle one batch of due events; returns how many were due."""
    due = (
        select(OutboxEvent.event_id)
        .where(OutboxEvent.status == EventStatus.PENDING, OutboxEvent.available_at <= func.now())
        .order_by(OutboxEvent.available_at)
        .limit(BATCH_SIZE)
    )
    async with sessions() as session:
        event_ids = (await session.scalars(due)).all()
    limit = asyncio.Semaphore(concurrency)

    async def process(event_id: uuid.UUID) -> None:
        async with limit:
            await processor.process(event_id, skip_locked=True)

    await asyncio.gather(*(process(event_id) for event_id in event_ids))
    return len(event_ids)
