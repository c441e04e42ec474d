import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from storefront.core.database import create_sessionmaker
from storefront.core.events.broker import purge_worker_queues
from storefront.core.events.models import OutboxEvent
from storefront.core.events.runtime import EventContext, run_worker
from storefront.notifications.models import NotificationLog
from storefront.payments.context import build_payments_context
from storefront.tasks import build_registry, periodic_jobs
from tests.smtp_sink import SmtpSink
from tests.tcp_proxy import TcpProxy


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    """Email to the sink, and retries fast enough for a test."""
    return settings.model_copy(
        update={
            "smtp_url": smtp_sink.url,
            "event_max_attempts": 3,
            "event_retry_base_seconds": 0.05,
            "outbox_poll_seconds": 0.05,
        }
    )


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxEvent]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxEvent))).all())


async def notification_log(sessions: async_sessionmaker[AsyncSession]) -> list[NotificationLog]:
    async with sessions() as session:
        return list((await session.scalars(select(NotificationLog))).all())


@pytest.fixture
async def clean_broker(broker_url: str) -> str:
    """The worker's queues, emptied of whatever earlier runs left there."""
    await purge_worker_queues(broker_url)
    return broker_url


@pytest.fixture
async def broker_proxy(clean_broker: str) -> AsyncIterator[TcpProxy]:
    """A way to RabbitMQ that starts down; request it before start_worker so that workers stop
    while it is still up."""
    proxy = TcpProxy(clean_broker)
    yield proxy
    await proxy.down()


WorkerStarter = Callable[[Settings], Awaitable[None]]


@pytest.fixture
async def start_worker(engine: AsyncEngine) -> AsyncIterator[WorkerStarter]:
    """Start `storefront worker`'s loop in this process (its own sessions and handlers)."""
    stops: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(settings: Settings) -> None:
        assert settings.broker_url
        wake = asyncio.Event()
        sessions = create_sessionmaker(engine, on_outbox_commit=wake.set)
        payments = build_payments_context(settings, sessions)
        registry = build_registry(settings, payments)
        context = EventContext(
            settings, sessions, wake, registry, periodic_jobs(settings, payments)
        )
        stop = asyncio.Event()

        async def work() -> None:
            try:
                await run_worker(context, settings.broker_url or "", stop, grace_seconds=5)
            finally:
                await registry.aclose()

        stops.append((stop, asyncio.create_task(work())))

    yield start
    for stop, task in stops:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
