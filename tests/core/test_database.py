import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.models import Category
from storefront.core.database import unit_of_work


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
