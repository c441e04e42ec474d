"""With RabbitMQ: the API relays the outbox, the worker consumes. Real broker, real SMTP."""

import asyncio
import uuid

import aio_pika
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.app import create_app
from storefront.core.config import Settings
from storefront.core.database import unit_of_work
from storefront.core.events.broker import DEAD_QUEUE, WORK_QUEUE, declare_topology, event_id_of
from storefront.core.events.models import EventStatus
from storefront.core.events.outbox import record_event
from storefront.core.events.relay import publish_pending
from storefront.core.events.runtime import EventContext
from storefront.notifications.service import Notifier
from storefront.payments.context import build_payments_context
from storefront.tasks import build_registry
from tests.core.events.conftest import WorkerStarter, outbox, wait_until
from tests.smtp_sink import SmtpSink
from tests.tcp_proxy import TcpProxy


async def send_welcome(app: FastAPI, to: str = "john.doe@example.com") -> uuid.UUID:
    notifier: Notifier = app.state.auth.notifier
    async with unit_of_work(app.state.sessions) as session:
        return notifier.email(session, to=to, template="welcome", context={"username": "john"})


async def status_of(sessions: async_sessionmaker[AsyncSession]) -> list[EventStatus]:
    return [event.status for event in await outbox(sessions)]


async def test_event_goes_through_rabbitmq_and_the_worker_to_smtp_once(
    settings: Settings,
    clean_broker: str,
    start_worker: WorkerStarter,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with_broker = settings.model_copy(update={"broker_url": clean_broker})
    app = create_app(with_broker)
    async with LifespanManager(app):
        await start_worker(with_broker)
        await send_welcome(app)

        [message] = await smtp_sink.wait_for(1)

        async def handled() -> bool:
            return await status_of(sessions) == [EventStatus.HANDLED]

        await wait_until(handled)
    [event] = await outbox(sessions)
    assert event.published_at is not None
    assert message["Message-ID"] == f"<{event.event_id}@storefront>"
    await asyncio.sleep(0.2)
    assert len(smtp_sink.messages) == 1


async def test_a_worker_killed_before_its_ack_sends_no_second_email(
    settings: Settings,
    clean_broker: str,
    start_worker: WorkerStarter,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with_broker = settings.model_copy(update={"broker_url": clean_broker})
    registry = build_registry(with_broker, build_payments_context(with_broker, sessions))
    context = EventContext(with_broker, sessions, asyncio.Event(), registry, [])
    async with unit_of_work(sessions) as session:
        record_event(
            session,
            "notification.email_requested",
            {"to": "john.doe@example.com", "template": "welcome", "context": {"username": "j"}},
        )
    connection = await aio_pika.connect(clean_broker)
    channel = await connection.channel(publisher_confirms=True)
    topology = await declare_topology(channel)
    assert await publish_pending(sessions, topology) == 1

    # The doomed worker takes the message, sends the email, and dies before acknowledging.
    doomed_channel = await connection.channel()
    queue = await doomed_channel.declare_queue(WORK_QUEUE, durable=True)
    message = await queue.get(no_ack=False)
    assert message is not None
    await context.processor().process(event_id_of(message))
    await smtp_sink.wait_for(1)
    await connection.close()
    await registry.aclose()

    await start_worker(with_broker)

    async def redelivery_settled() -> bool:
        probe = await aio_pika.connect(clean_broker)
        async with probe:
            probe_channel = await probe.channel()
            declared = await probe_channel.declare_queue(WORK_QUEUE, durable=True, passive=True)
            return declared.declaration_result.message_count == 0

    await wait_until(redelivery_settled)
    await asyncio.sleep(0.3)
    assert len(smtp_sink.messages) == 1
    assert await status_of(sessions) == [EventStatus.HANDLED]


async def test_an_event_committed_while_the_broker_is_down_is_delivered_when_it_is_back(
    settings: Settings,
    broker_proxy: TcpProxy,
    start_worker: WorkerStarter,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # API and worker reach RabbitMQ only through the proxy, which is down.
    through_proxy = settings.model_copy(update={"broker_url": broker_proxy.url})
    app = create_app(through_proxy)
    await start_worker(through_proxy)
    async with LifespanManager(app):
        await send_welcome(app)
        await asyncio.sleep(0.5)
        assert await status_of(sessions) == [EventStatus.PENDING]
        assert smtp_sink.messages == []

        await broker_proxy.up()
        await smtp_sink.wait_for(1)
    assert len(smtp_sink.messages) == 1


async def test_smtp_down_is_retried_through_delay_queues_then_dead_lettered(
    settings: Settings,
    clean_broker: str,
    start_worker: WorkerStarter,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with_broker = settings.model_copy(update={"broker_url": clean_broker})
    smtp_sink.refuse = True
    app = create_app(with_broker)
    async with LifespanManager(app):
        await start_worker(with_broker)
        event_id = await send_welcome(app)

        async def dead() -> bool:
            return await status_of(sessions) == [EventStatus.DEAD]

        await wait_until(dead)
    [event] = await outbox(sessions)
    assert event.attempts == 3
    connection = await aio_pika.connect(clean_broker)
    async with connection:
        channel = await connection.channel()
        dead_queue = await channel.declare_queue(DEAD_QUEUE, durable=True)
        letter = await dead_queue.get(no_ack=True, fail=False)
    assert letter is not None
    assert event_id_of(letter) == event_id


async def test_concurrent_relays_publish_each_event_once(
    settings: Settings, clean_broker: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        for n in range(600):
            record_event(session, "test.ping", {"n": n})
    connections = [await aio_pika.connect(clean_broker) for _ in range(3)]
    topologies = [
        await declare_topology(await c.channel(publisher_confirms=True)) for c in connections
    ]

    async def drain(topology: object) -> int:
        total = 0
        while published := await publish_pending(sessions, topology, batch_size=50):  # type: ignore[arg-type]
            total += published
        return total

    counts = await asyncio.gather(*(drain(t) for t in topologies))
    for connection in connections:
        await connection.close()

    assert sum(counts) == 600
    probe = await aio_pika.connect(clean_broker)
    async with probe:
        queue = await (await probe.channel()).declare_queue(WORK_QUEUE, durable=True)
        ids = set()
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            ids.add(event_id_of(message))
    assert len(ids) == 600
    assert set(await status_of(sessions)) == {EventStatus.PUBLISHED}
