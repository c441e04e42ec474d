"""The outbox loop stops when its task is cancelled, whatever it was doing at that moment."""

import asyncio

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.outbox import record_event
from storefront.core.events.polling import poll_forever
from tests.core.events.conftest import wait_until


async def test_a_wake_up_arriving_with_the_cancellation_does_not_keep_the_loop_running(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    wake = asyncio.Event()
    stepped = asyncio.Event()

    async def step() -> bool:
        stepped.set()
        return False

    loop = asyncio.create_task(poll_forever(step, sessions, wake, poll_seconds=60))
    await stepped.wait()
    await asyncio.sleep(0.5)  # past its one count of pending events: waiting for a wake-up

    # A commit's wake-up and the shutdown's cancellation in the same turn of the event loop.
    wake.set()
    loop.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(loop, timeout=5)


async def test_the_pending_gauge_shows_events_nobody_handled_yet(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        for number in range(3):
            record_event(session, "test.waiting", {"number": number})

    async def idle() -> bool:
        return False

    loop = asyncio.create_task(poll_forever(idle, sessions, asyncio.Event(), poll_seconds=0.05))
    try:
        await wait_until(lambda: _gauge_reads(3))
    finally:
        loop.cancel()


async def _gauge_reads(expected: float) -> bool:
    return REGISTRY.get_sample_value("storefront_events_pending") == expected
