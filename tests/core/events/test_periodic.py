import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.models import EventStatus, OutboxEvent
from storefront.core.events.outbox import purge_handled_events, record_event
from storefront.core.events.periodic import PeriodicJob, run_due_jobs


def counting_job(runs: list[str], every: timedelta, *, fail: bool = False) -> PeriodicJob:
    async def run(session: AsyncSession) -> None:
        await asyncio.sleep(0.05)  # long enough for the other workers to try at the same time
        runs.append("ran")
        if fail:
            raise RuntimeError("job failed")

    return PeriodicJob("counting", every, run)


async def test_a_job_runs_once_per_period_however_many_workers_try(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    runs: list[str] = []
    job = counting_job(runs, timedelta(hours=1))

    results = await asyncio.gather(*(run_due_jobs(sessions, [job]) for _ in range(5)))

    assert runs == ["ran"]
    assert sorted(results) == [[], [], [], [], ["counting"]]
    assert await run_due_jobs(sessions, [job]) == []


async def test_a_job_runs_again_once_its_period_has_passed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    runs: list[str] = []
    job = counting_job(runs, timedelta(milliseconds=200))

    await run_due_jobs(sessions, [job])
    await asyncio.sleep(0.3)
    await run_due_jobs(sessions, [job])

    assert runs == ["ran", "ran"]


async def test_a_failed_run_is_retried_by_the_next_worker(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    runs: list[str] = []

    assert await run_due_jobs(sessions, [counting_job(runs, timedelta(hours=1), fail=True)]) == []
    assert await run_due_jobs(sessions, [counting_job(runs, timedelta(hours=1))]) == ["counting"]
    assert runs == ["ran", "ran"]


async def test_purge_removes_only_handled_events_past_retention(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        old_handled, recent_handled, old_dead, pending = (
            record_event(session, "test.ping", {}) for _ in range(4)
        )
    async with unit_of_work(sessions) as session:
        for event_id, status, age in (
            (old_handled, EventStatus.HANDLED, timedelta(days=8)),
            (recent_handled, EventStatus.HANDLED, timedelta(days=1)),
            (old_dead, EventStatus.DEAD, timedelta(days=30)),
        ):
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.event_id == event_id)
                .values(status=status, handled_at=func.now() - age)
            )

    async with unit_of_work(sessions) as session:
        assert await purge_handled_events(session, timedelta(days=7)) == 1

    async with sessions() as session:
        left = set((await session.scalars(select(OutboxEvent.event_id))).all())
    assert left == {recent_handled, old_dead, pending}
