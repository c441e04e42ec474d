"""Reviews read with their author's username. The users table belongs to the auth module: this
is the one place the catalog reads it, with a join, so a page of reviews stays one query."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import User
from storefront.catalog.models import reviews_table as reviews
from storefront.core.pagination import PageParams

users = User.__table__


def _with_author() -> Select[tuple[object]]:
    return select(*reviews.c, users.c.username.label("author")).join(
        users, users.c.user_id == reviews.c.user_id
    )


async def review_with_author(session: AsyncSession, review_id: uuid.UUID) -> Row[tuple[object]]:
    query = _with_author().where(reviews.c.review_id == review_id)
    return (await session.execute(query)).one()


async def reviews_with_authors(
    session: AsyncSession, product_id: uuid.UUID, page: PageParams
) -> Sequence[Row[tuple[object]]]:
    query = (
        _with_author()
        .where(reviews.c.product_id == product_id)
        .order_by(reviews.c.created_at.desc(), reviews.c.review_id)
        .limit(page.page_size)
        .offset(page.offset)
    )
    return (await session.execute(query)).all()
