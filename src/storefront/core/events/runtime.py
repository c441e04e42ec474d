"""Assembles the event machinery for a process: the API (relay to RabbitMQ, or the in-process
dispatcher and periodic jobs when there is no broker) and the worker (consumer, relay, jobs)."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from storefront.core.events.broker import Topology, declare_topology
from storefront.core.events.local import BATCH_SIZE as LOCAL_BATCH
from storefront.core.events.local import handle_due_events
from storefront.core.events.periodic import PeriodicJob, run_periodic_jobs
from storefront.core.events.polling import poll_forever
from storefront.core.events.processing import EventProcessor, RetryPolicy
from storefront.core.events.registry import HandlerRegistry
from storefront.core.events.relay import BATCH_SIZE as RELAY_BATCH
from storefront.core.events.relay import publish_pending, republish_job
from storefront.core.events.worker import QueueConsumer

logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class EventContext:
    """What every event loop of a process shares."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    wake: asyncio.Event  # set after a local commit that recorded events
    registry: HandlerRegistry
    jobs: Sequence[PeriodicJob]

    def processor(self) -> EventProcessor:
        policy = RetryPolicy(
            self.settings.event_max_attempts, self.settings.event_retry_base_seconds
        )
        return EventProcessor(self.sessions, self.registry, policy)

    async def poll(self, step: Callable[[], Awaitable[bool]]) -> None:
        await poll_forever(step, self.sessions, self.wake, self.settings.outbox_poll_seconds)


async def connect_broker(url: str) -> AbstractRobustConnection:
    """Connect, waiting out a broker that is down; once connected, aio-pika reconnects itself."""
    while True:
        try:
            return await aio_pika.connect_robust(url)
        except (ConnectionError, OSError, aio_pika.exceptions.AMQPError) as exc:
            logger.warning("broker unreachable; retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(RECONNECT_SECONDS)


async def open_topology(connection: AbstractConnection, prefetch: int) -> Topology:
    """A channel whose publishes wait for the broker's confirm, and fail when it refuses the
    message or (on_return_raises) has no queue to route it to."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    await channel.set_qos(prefetch_count=prefetch)
    return await declare_topology(channel)


async def _cancel(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@asynccontextmanager
async def api_event_runtime(context: EventContext) -> AsyncIterator[None]:
    """With a broker the API only relays; without one it handles events and runs jobs itself."""
    broker_url = context.settings.broker_url
    if broker_url:
        tasks = [asyncio.create_task(_connect_and_relay(context, broker_url))]
    else:
        dispatch = partial(
            handle_due_events,
            context.sessions,
            context.processor(),
            context.settings.worker_concurrency,
        )

        async def step() -> bool:
            return await dispatch() == LOCAL_BATCH

        tasks = [
            asyncio.create_task(context.poll(step)),
            asyncio.create_task(run_periodic_jobs(context.sessions, context.jobs)),
        ]
    try:
        yield
    finally:
        await _cancel(tasks)


async def _connect_and_relay(context: EventContext, url: str) -> None:
    connection = await connect_broker(url)
    try:
        await _relay(context, connection)
    finally:
        await connection.close()


async def _relay(context: EventContext, connection: AbstractRobustConnection) -> None:
    topology = await open_topology(connection, prefetch=1)

    async def step() -> bool:
        return await publish_pending(context.sessions, topology) == RELAY_BATCH

    await context.poll(step)


async def run_worker(
    context: EventContext, url: str, stop: asyncio.Event, grace_seconds: float = 30.0
) -> None:
    """Consume, relay and run periodic jobs (publishing again events lost after their confirm)
    until `stop` is set."""
    async with AsyncExitStack() as stack:
        connection = await connect_broker(url)
        stack.push_async_callback(connection.close)
        topology = await open_topology(connection, prefetch=context.settings.worker_concurrency)
        consumer = QueueConsumer(topology, context.processor())
        redeliver_after = timedelta(seconds=context.settings.outbox_redeliver_seconds)
        jobs = [*context.jobs, republish_job(topology, redeliver_after)]
        tasks = [
            asyncio.create_task(_relay(context, connection)),  # on a channel of its own
            asyncio.create_task(run_periodic_jobs(context.sessions, jobs)),
        ]
        stack.push_async_callback(_cancel, tasks)
        await consumer.start()
        logger.info("worker consuming", extra={"queue": topology.work_queue.name})
        await stop.wait()
        logger.info("worker stopping")
        await consumer.stop(grace_seconds)
