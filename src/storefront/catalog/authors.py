"""Reviews read with their author's username. The users table belongs to the auth module: the
usernames of a page of reviews come from its façade in one more statement."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.service import usernames
from storefront.catalog.models import reviews_table as reviews
from storefront.core.pagination import PageParams


async def review_with_author(session: AsyncSession, review_id: uuid.UUID) -> Mapping[str, Any]:
    row = (await session.execute(select(reviews).where(reviews.c.review_id == review_id))).one()
    return (await _with_authors(session, [dict(row._mapping)]))[0]


async def reviews_with_authors(
    session: AsyncSession, product_id: uuid.UUID, page: PageParams
) -> Sequence[Mapping[str, Any]]:
    query = (
        select(reviews)
        .where(reviews.c.product_id == product_id)
        .order_by(reviews.c.created_at.desc(), reviews.c.review_id)
        .limit(page.page_size)
        .offset(page.offset)
    )
    rows = [dict(row._mapping) for row in (await session.execute(query)).all()]
    return await _with_authors(session, rows)


async def _with_authors(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    names = await usernames(session, (row["user_id"] for row in rows))
    return [{**row, "author": names.get(row["user_id"], "")} for row in rows]
