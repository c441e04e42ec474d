"""Catalog rules and queries. Other modules use these functions, never the catalog's tables."""

from collections.abc import Iterable, Sequence

from sqlalchemy import Row, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Category


async def list_categories(session: AsyncSession) -> Sequence[Row[str, str]]:
    query = select(Category.category_id, Category.name).order_by(Category.category_id)
    return (await session.execute(query)).all()


async def catalog_is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(exists().select_from(Category)))


async def add_missing_categories(
    session: AsyncSession, categories: Iterable[tuple[str, str]]
) -> None:
    rows = [{"category_id": code, "name": name} for code, name in categories]
    await session.execute(insert(Category).values(rows).on_conflict_do_nothing())
