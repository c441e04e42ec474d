"""Periodic jobs run by workers, each once per period however many workers run: a run is claimed
by an upsert that only succeeds when the period has passed, in the transaction that does the
job, so a failed run is retried by the next worker to look."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.models import PeriodicJobRun

logger = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 5.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[AsyncSession], Awaitable[None]]


async def _claim(session: AsyncSession, job: PeriodicJob) -> bool:
    claim = (
        insert(PeriodicJobRun)
        .values(name=job.name, last_run_at=func.now())
        .on_conflict_do_update(
            index_elements=[PeriodicJobRun.name],
            set_={"last_run_at": func.now()},
            where=PeriodicJobRun.last_run_at <= func.now() - job.every,
        )
        .returning(PeriodicJobRun.name)
    )
    return (await session.execute(claim)).first() is not None


async def run_due_jobs(
    sessions: async_sessionmaker[AsyncSession], jobs: Sequence[PeriodicJob]
) -> list[str]:
    """Run every job whose period has passed; returns the names of those this call ran."""
    ran = []
    for job in jobs:
        try:
            async with unit_of_work(sessions) as session:
                if await _claim(session, job):
                    await job.run(session)
                    ran.append(job.name)
        except Exception:
            logger.exception("periodic job failed", extra={"job": job.name})
    return ran


async def run_periodic_jobs(
    sessions: async_sessionmaker[AsyncSession], jobs: Sequence[PeriodicJob]
) -> None:
    while True:
        await run_due_jobs(sessions, jobs)
        await asyncio.sleep(CHECK_EVERY_SECONDS)
