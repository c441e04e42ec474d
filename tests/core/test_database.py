import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.models import Category
from storefront.core.database import after_commit, after_rollback, unit_of_work
from storefront.core.errors import NotFound, Unauthorized


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Category)) or 0


async def test_unit_of_work_commits_when_the_block_succeeds(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        session.add(Category(category_id="C900", name="Garden"))
        session.add(Category(category_id="C901", name="Pets"))

    assert await _count(sessions) == 2


async def test_unit_of_work_keeps_nothing_when_the_block_fails(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def first_write_then_fail() -> None:
        async with unit_of_work(sessions) as session:
            session.add(Category(category_id="C900", name="Garden"))
            await session.flush()
            raise RuntimeError("second write failed")

    with pytest.raises(RuntimeError):
        await first_write_then_fail()

    assert await _count(sessions) == 0


async def test_after_commit_hooks_run_once_the_data_is_visible_to_others(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    seen_by_another_connection: list[int] = []

    async def hook() -> None:
        seen_by_another_connection.append(await _count(sessions))

    async with unit_of_work(sessions) as session:
        session.add(Category(category_id="C900", name="Garden"))
        after_commit(session, hook)
        after_rollback(session, _never)
        await session.flush()
        assert seen_by_another_connection == []

    assert seen_by_another_connection == [1]


async def _never() -> None:
    raise AssertionError("must not run")


async def test_after_rollback_hooks_run_and_after_commit_hooks_do_not_when_the_block_fails(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    rolled_back: list[bool] = []

    async def on_rollback() -> None:
        rolled_back.append(True)

    async def fail() -> None:
        async with unit_of_work(sessions) as session:
            after_commit(session, _never)
            after_rollback(session, on_rollback)
            raise NotFound()

    with pytest.raises(NotFound):
        await fail()
    assert rolled_back == [True]


async def test_a_committing_error_keeps_the_writes_and_still_reaches_the_caller(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    committed: list[bool] = []

    async def on_commit() -> None:
        committed.append(True)

    async def count_then_refuse() -> None:
        async with unit_of_work(sessions) as session:
            session.add(Category(category_id="C900", name="Garden"))
            after_commit(session, on_commit)
            after_rollback(session, _never)
            raise Unauthorized("Invalid username/email or password.").committing()

    with pytest.raises(Unauthorized):
        await count_then_refuse()
    assert await _count(sessions) == 1
    assert committed == [True]


async def test_a_failing_hook_is_logged_and_does_not_undo_a_committed_write(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    async with unit_of_work(sessions) as session:
        session.add(Category(category_id="C900", name="Garden"))
        after_commit(session, _never)

    assert await _count(sessions) == 1
    assert "transaction hook failed" in caplog.text


async def test_a_commit_that_fails_runs_the_rollback_hooks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    rolled_back: list[bool] = []

    async def on_rollback() -> None:
        rolled_back.append(True)

    async def duplicate() -> None:
        async with unit_of_work(sessions) as session:
            after_commit(session, _never)
            after_rollback(session, on_rollback)
            session.add(Category(category_id="C900", name="Garden"))
            session.add(Category(category_id="C900", name="Garden again"))

    with pytest.raises(IntegrityError):
        await duplicate()
    assert rolled_back == [True]
    assert await _count(sessions) == 0


@pytest.mark.parametrize("lock", ["select", "get"])
async def test_a_row_read_for_update_replaces_what_the_session_read_of_it_before(
    sessions: async_sessionmaker[AsyncSession], lock: str
) -> None:
    """Read, then (after another transaction changed the row) lock: the locked values win,
    whether the lock is a select or a get."""
    async with unit_of_work(sessions) as session:
        session.add(Category(category_id="C900", name="Garden"))

    async with unit_of_work(sessions) as session:
        earlier = await session.get_one(Category, "C900")
        async with unit_of_work(sessions) as other:
            (await other.get_one(Category, "C900")).name = "Garden & Patio"
        if lock == "select":
            query = select(Category).where(Category.category_id == "C900").with_for_update()
            locked = await session.scalar(query)
        else:
            locked = await session.get(Category, "C900", with_for_update=True)

    assert locked is earlier
    assert locked.name == "Garden & Patio"
