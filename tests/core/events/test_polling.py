"""The outbox loop stops when its task is cancelled, whatever it was doing at that moment."""

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.events.polling import poll_forever


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
