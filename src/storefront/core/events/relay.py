"""Moves committed outbox events to RabbitMQ. Several relays (one per API and worker process)
never publish the same event at once: each claims its batch with FOR UPDATE SKIP LOCKED, and an
event is marked published only after the broker confirmed it.

A confirmed message can still be lost before a consumer handles it (an operator purges or
deletes the queue): a periodic job publishes again every event that has stayed published, not
handled, for longer than the redelivery delay. Consumers skip an event already handled, so one
that was only slow (queued behind a backlog) costs a skipped delivery, never a second effect."""

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.broker import Topology
from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.events.periodic import PeriodicJob
from storefront.core.metrics import EVENTS_PUBLISHED, EVENTS_REPUBLISHED

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
REPUBLISH_BATCH_SIZE = 1000
REPUBLISH_CHECK_EVERY = timedelta(minutes=1)

_Claimed = Sequence[Row[uuid.UUID, str]]


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
        await _publish(session, topology, events, EventStatus.PENDING)
    for _, event_type in events:
        EVENTS_PUBLISHED.labels(event_type).inc()
    return len(events)


async def republish_stale(
    session: AsyncSession,
    topology: Topology,
    older_than: timedelta,
    batch_size: int = REPUBLISH_BATCH_SIZE,
) -> int:
    """Publish again, oldest first, the events published (and due: a retry waiting out its
    delay is not stale) more than `older_than` ago and still not handled; their published_at
    moves on. Returns how many."""
    cutoff = func.now() - older_than
    claim = (
        select(OutboxEvent.event_id, OutboxEvent.event_type)
        .where(
            OutboxEvent.status == EventStatus.PUBLISHED,
            OutboxEvent.published_at < cutoff,
            OutboxEvent.available_at < cutoff,
        )
        .order_by(OutboxEvent.published_at)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    events = (await session.execute(claim)).all()
    await _publish(session, topology, events, EventStatus.PUBLISHED)
    for _, event_type in events:
        EVENTS_REPUBLISHED.labels(event_type).inc()
    if events:
        logger.warning(
            "events published again: confirmed but not handled in time",
            extra={"count": len(events), "older_than_s": older_than.total_seconds()},
        )
    return len(events)


def republish_job(topology: Topology, older_than: timedelta) -> PeriodicJob:
    """republish_stale as a worker's periodic job (a failed publish rolls the run back, and the
    next look retries it)."""

    async def run(session: AsyncSession) -> None:
        await republish_stale(session, topology, older_than)

    return PeriodicJob("republish_stale_events", min(older_than, REPUBLISH_CHECK_EVERY), run)


async def _publish(
    session: AsyncSession, topology: Topology, events: _Claimed, claimed_as: EventStatus
) -> None:
    """Publish the claimed events, wait for every confirm, then mark them published (in the
    caller's transaction, which commits only if every publish was confirmed)."""
    if not events:
        return
    await asyncio.gather(*(topology.publish_event(*event) for event in events))
    await session.execute(
        update(OutboxEvent)
        .where(
            OutboxEvent.event_id.in_([event_id for event_id, _ in events]),
            OutboxEvent.status == claimed_as,
        )
        .values(status=EventStatus.PUBLISHED, published_at=func.now())
    )
