"""Moves committed outbox events to RabbitMQ. Several relays (one per API and worker process)
never publish the same event at once: each claims its batch with FOR UPDATE SKIP LOCKED, and an
event is marked published only after the broker confirmed it."""

import asyncio

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.broker import Topology
from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.metrics import EVENTS_PUBLISHED

BATCH_SIZE = 500


async def publish_pending(
    sessions: async_sessionmaker[AsyncSession], topology: Topology, batch_size: int = BATCH_SIZE
) -> int:
    """Publish one batch; returns how many events it published. If any publish fails the whole
    batch stays pending (the ones that did go out are then published twice; consumers skip)."""
    claim = (
        select(OutboxEvent.event_id, OutboxEvent.event_type)
        .where(OutboxEvent.status == EventStatus.PENDING)
        .order_by(OutboxEvent.created_at)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    async with unit_of_work(sessions) as session:
        events = (await session.execute(claim)).all()
        if not events:
            return 0
        await asyncio.gather(*(topology.publish_event(*event) for event in events))
        await session.execute(
            update(OutboxEvent)
            .where(
                OutboxEvent.event_id.in_([event_id for event_id, _ in events]),
                OutboxEvent.status == EventStatus.PENDING,
            )
            .values(status=EventStatus.PUBLISHED, published_at=func.now())
        )
    for _, event_type in events:
        EVENTS_PUBLISHED.labels(event_type).inc()
    return len(events)
