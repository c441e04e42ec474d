"""The loop shared by the relay and the in-process dispatcher: work while there is work, then
sleep until woken by a local commit or until the next poll (for other processes' events)."""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.metrics import EVENTS_PENDING

logger = logging.getLogger(__name__)


async def poll_forever(
    step: Callable[[], Awaitable[bool]],
    sessions: async_sessionmaker[AsyncSession],
    wake: asyncio.Event,
    poll_seconds: float,
) -> None:
    """Run step() until cancelled; step returns True when it may have left work behind. A
    failing step (database or broker down) is logged and retried at the next poll."""
    counted_at = -math.inf
    while True:
        # Cleared before the work, so a commit made during it still wakes the next round.
        wake.clear()
        try:
            if await step():
                continue
            # The gauge is refreshed once per poll, not after every wake-up: a busy API would
            # pay one more query for each write that recorded events.
            if time.monotonic() - counted_at >= poll_seconds:
                EVENTS_PENDING.set(await _count_pending(sessions))
                counted_at = time.monotonic()
        except Exception as exc:
            logger.warning("outbox loop failed; retrying", extra={"error": repr(exc)[:300]})
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # arrives in the same turn as the wake-up, and the loop would outlive its shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await wake.wait()


async def _count_pending(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        query = select(func.count()).where(OutboxEvent.status == EventStatus.PENDING)
        return await session.scalar(query) or 0
