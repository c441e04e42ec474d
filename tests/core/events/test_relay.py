"""The relay against a real RabbitMQ: an event is marked published only once the broker confirmed
it, and an event confirmed but never handled (its message lost) is published again."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aio_pika
import pytest
from aio_pika.exceptions import AMQPError, DeliveryError
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from storefront.core.database import unit_of_work
from storefront.core.events.broker import WORK_QUEUE, Topology, event_id_of
from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.events.outbox import record_event
from storefront.core.events.periodic import run_due_jobs
from storefront.core.events.relay import publish_pending, republish_job, republish_stale
from storefront.core.events.runtime import open_topology
from tests.core.events.conftest import WorkerStarter, wait_until
from tests.smtp_sink import SmtpSink
from tests.tcp_proxy import TcpProxy

EMAIL = "notification.email_requested"


async def record_email(sessions: async_sessionmaker[AsyncSession], to: str) -> uuid.UUID:
    async with unit_of_work(sessions) as session:
        return record_event(
            session, EMAIL, {"to": to, "template": "welcome", "context": {"username": "john"}}
        )


async def state(
    sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID
) -> tuple[EventStatus, datetime | None]:
    async with sessions() as session:
        row = await session.get_one(OutboxEvent, event_id)
        return row.status, row.published_at


async def set_state(
    sessions: async_sessionmaker[AsyncSession],
    event_id: uuid.UUID,
    status: EventStatus,
    published_ago: timedelta,
    due_in: timedelta | None = None,
) -> None:
    """Move the event back in time: created and published `published_ago`, due to be handled
    `due_in` from now (a retry waiting out its delay) or since it was created."""
    published_at = func.now() - published_ago
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.event_id == event_id)
            .values(
                status=status,
                created_at=published_at,
                published_at=published_at,
                available_at=published_at if due_in is None else func.now() + due_in,
            )
        )


async def queued_ids(broker_url: str) -> list[uuid.UUID]:
    """Take every message off the worker's queue: the ids it held, in order."""
    connection = await aio_pika.connect(broker_url)
    async with connection:
        queue = await (await connection.channel()).declare_queue(WORK_QUEUE, durable=True)
        ids = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            ids.append(event_id_of(message))
        return ids


async def queued_count(broker_url: str) -> int:
    connection = await aio_pika.connect(broker_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(WORK_QUEUE, durable=True, passive=True)
        return int(queue.declaration_result.message_count or 0)


@pytest.fixture
async def topology(clean_broker: str) -> AsyncIterator[Topology]:
    """A channel set up as the relay's."""
    connection = await aio_pika.connect(clean_broker)
    async with connection:
        yield await open_topology(connection, prefetch=1)


async def test_an_event_the_broker_refuses_stays_pending(
    sessions: async_sessionmaker[AsyncSession], topology: Topology
) -> None:
    event_id = await record_email(sessions, "john.doe@example.com")
    # A full queue that rejects new messages, bound beside the worker's: the broker nacks.
    refusing = await topology.channel.declare_queue(
        exclusive=True, arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
    )
    await refusing.bind(topology.exchange, routing_key="#")

    with pytest.raises(DeliveryError):
        await publish_pending(sessions, topology)
    assert await state(sessions, event_id) == (EventStatus.PENDING, None)

    await refusing.delete()
    assert await publish_pending(sessions, topology) == 1
    status, published_at = await state(sessions, event_id)
    assert (status, published_at is not None) == (EventStatus.PUBLISHED, True)


async def test_an_event_no_queue_takes_stays_pending(
    sessions: async_sessionmaker[AsyncSession], topology: Topology
) -> None:
    """Confirmed but returned unroutable (the worker's queue unbound by an operator): nothing
    holds the message, so it is not published."""
    event_id = await record_email(sessions, "john.doe@example.com")
    await topology.work_queue.unbind(topology.exchange, routing_key="#")
    try:
        with pytest.raises(DeliveryError):
            await publish_pending(sessions, topology)
        assert await state(sessions, event_id) == (EventStatus.PENDING, None)
    finally:
        await topology.work_queue.bind(topology.exchange, routing_key="#")

    assert await publish_pending(sessions, topology) == 1
    assert (await state(sessions, event_id))[0] == EventStatus.PUBLISHED


async def test_a_connection_cut_before_the_confirm_leaves_the_event_pending(
    sessions: async_sessionmaker[AsyncSession],
    clean_broker: str,
    broker_proxy: TcpProxy,
    topology: Topology,
) -> None:
    await broker_proxy.up()
    connection = await aio_pika.connect(broker_proxy.url)
    cut_off = await open_topology(connection, prefetch=1)
    event_id = await record_email(sessions, "john.doe@example.com")

    # The broker takes the message and confirms it, but the confirm never comes back.
    broker_proxy.hold_replies()
    relaying = asyncio.create_task(publish_pending(sessions, cut_off))

    async def broker_has_it() -> bool:
        return await queued_count(clean_broker) == 1

    await wait_until(broker_has_it)
    await broker_proxy.down()
    with pytest.raises((AMQPError, ConnectionError)):
        await relaying
    await connection.close()
    assert await state(sessions, event_id) == (EventStatus.PENDING, None)

    # So the next relay publishes it again (the consumer skips the second copy).
    assert await publish_pending(sessions, topology) == 1
    assert (await state(sessions, event_id))[0] == EventStatus.PUBLISHED
    assert await queued_ids(clean_broker) == [event_id, event_id]


@pytest.fixture
def worker_settings(settings: Settings, clean_broker: str) -> Settings:
    return settings.model_copy(update={"broker_url": clean_broker, "outbox_redeliver_seconds": 600})


async def test_an_event_confirmed_but_lost_is_published_again_and_handled_once(
    worker_settings: Settings,
    start_worker: WorkerStarter,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
    topology: Topology,
) -> None:
    """The broker confirmed both events, then their messages were purged from the queue: the
    one published longer ago than the setting (600 s here) is sent again; the other is left."""
    lost = await record_email(sessions, "lost@example.com")
    recent = await record_email(sessions, "recent@example.com")
    await set_state(sessions, lost, EventStatus.PUBLISHED, timedelta(seconds=610))
    await set_state(sessions, recent, EventStatus.PUBLISHED, timedelta(seconds=590))
    _, lost_published_at = await state(sessions, lost)
    _, recent_published_at = await state(sessions, recent)

    await start_worker(worker_settings)

    [message] = await smtp_sink.wait_for(1)
    assert message["To"] == "lost@example.com"

    async def handled() -> bool:
        return (await state(sessions, lost))[0] == EventStatus.HANDLED

    await wait_until(handled)
    _, published_at = await state(sessions, lost)
    assert lost_published_at is not None
    assert published_at is not None
    assert published_at > lost_published_at
    # Not stale yet, so left as it was by the run that sent the lost one.
    assert await state(sessions, recent) == (EventStatus.PUBLISHED, recent_published_at)

    # Handled, it is never sent again, however long ago it was published.
    await set_state(sessions, lost, EventStatus.HANDLED, timedelta(days=1))
    async with sessions() as session, session.begin():
        assert await republish_stale(session, topology, timedelta(seconds=600)) == 0
    assert await queued_count(worker_settings.broker_url or "") == 0
    assert len(smtp_sink.messages) == 1


async def test_only_events_published_too_long_ago_and_not_handled_are_sent_again(
    sessions: async_sessionmaker[AsyncSession], clean_broker: str, topology: Topology
) -> None:
    events = {
        name: await record_email(sessions, f"{name}@example.com")
        for name in ("lost", "recent", "retrying", "handled", "dead", "pending")
    }
    long_ago, a_while_ago = timedelta(seconds=130), timedelta(seconds=110)
    await set_state(sessions, events["lost"], EventStatus.PUBLISHED, long_ago)
    await set_state(sessions, events["recent"], EventStatus.PUBLISHED, a_while_ago)
    await set_state(
        sessions,
        events["retrying"],
        EventStatus.PUBLISHED,
        timedelta(hours=1),
        due_in=timedelta(seconds=30),
    )
    await set_state(sessions, events["handled"], EventStatus.HANDLED, timedelta(hours=1))
    await set_state(sessions, events["dead"], EventStatus.DEAD, timedelta(hours=1))
    before = {name: await state(sessions, event_id) for name, event_id in events.items()}

    job = republish_job(topology, timedelta(seconds=120))
    assert await run_due_jobs(sessions, [job]) == [job.name]

    assert await queued_ids(clean_broker) == [events["lost"]]
    after = {name: await state(sessions, event_id) for name, event_id in events.items()}
    assert {name for name in events if after[name] != before[name]} == {"lost"}
    status, published_at = after["lost"]
    old_published_at = before["lost"][1]
    assert status == EventStatus.PUBLISHED
    assert published_at is not None
    assert old_published_at is not None
    assert published_at > old_published_at
