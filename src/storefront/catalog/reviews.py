"""Reviews: one per customer and product, only the author may change or delete it. The
product's rating_sum and rating_count move by atomic increments in the review's transaction,
so concurrent reviews never lose an update."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.authors import review_with_author, reviews_with_authors
from storefront.catalog.cache import invalidate_after_commit
from storefront.catalog.models import products_table as products
from storefront.catalog.models import reviews_table as reviews
from storefront.catalog.products import PRODUCT_NOT_FOUND
from storefront.catalog.review_schemas import Review as ReviewOut
from storefront.catalog.review_schemas import ReviewCreate, ReviewList
from storefront.core.errors import Conflict, NotFound
from storefront.core.pagination import PageParams, Pagination

REVIEW_NOT_FOUND = "Review not found."


def _out(row: Mapping[str, Any]) -> ReviewOut:
    return ReviewOut.model_validate(row)


async def _add_to_rating(
    session: AsyncSession,
    product_id: uuid.UUID,
    rating_delta: int,
    count_delta: int,
    *,
    only_active: bool = False,
) -> bool:
    condition = products.c.is_active if only_active else true()
    result = await session.execute(
        update(products)
        .where(products.c.product_id == product_id, condition)
        .values(
            rating_sum=products.c.rating_sum + rating_delta,
            rating_count=products.c.rating_count + count_delta,
        )
        .returning(products.c.product_id)
    )
    return result.first() is not None


async def create_review(
    session: AsyncSession, product_id: uuid.UUID, user_id: uuid.UUID, data: ReviewCreate
) -> ReviewOut:
    invalidate_after_commit(session)
    # The product row's lock, taken by this update, also orders concurrent reviews of it.
    if not await _add_to_rating(session, product_id, data.rating, 1, only_active=True):
        raise NotFound(PRODUCT_NOT_FOUND)
    inserted = await session.execute(
        insert(reviews)
        .values(review_id=uuid.uuid4(), product_id=product_id, user_id=user_id, **data.model_dump())
        .on_conflict_do_nothing(index_elements=["product_id", "user_id"])
        .returning(reviews.c.review_id)
    )
    review_id = inserted.scalar_one_or_none()
    if review_id is None:
        raise Conflict("You have already reviewed this product.")
    return _out(await review_with_author(session, review_id))


async def update_review(
    session: AsyncSession,
    product_id: uuid.UUID,
    review_id: uuid.UUID,
    user_id: uuid.UUID,
    changes: dict[str, Any],
) -> ReviewOut:
    invalidate_after_commit(session)
    old_rating = await session.scalar(
        select(reviews.c.rating)
        .where(
            reviews.c.review_id == review_id,
            reviews.c.product_id == product_id,
            reviews.c.user_id == user_id,
        )
        .with_for_update()
    )
    if old_rating is None:
        raise NotFound(REVIEW_NOT_FOUND)
    if changes:
        await session.execute(
            update(reviews)
            .where(reviews.c.review_id == review_id)
            .values(**changes, updated_at=func.now())
        )
    if "rating" in changes and changes["rating"] != old_rating:
        await _add_to_rating(session, product_id, changes["rating"] - old_rating, 0)
    return _out(await review_with_author(session, review_id))


async def delete_review(
    session: AsyncSession, product_id: uuid.UUID, review_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    invalidate_after_commit(session)
    rating = await session.scalar(
        delete(reviews)
        .where(
            reviews.c.review_id == review_id,
            reviews.c.product_id == product_id,
            reviews.c.user_id == user_id,
        )
        .returning(reviews.c.rating)
    )
    if rating is None:
        raise NotFound(REVIEW_NOT_FOUND)
    await _add_to_rating(session, product_id, -rating, -1)


async def list_reviews(
    session: AsyncSession, product_id: uuid.UUID, page: PageParams
) -> ReviewList:
    count = select(func.count()).where(reviews.c.product_id == product_id).scalar_subquery()
    product = (
        await session.execute(
            select(count.label("total")).where(
                products.c.product_id == product_id, products.c.is_active
            )
        )
    ).first()
    if product is None:
        raise NotFound(PRODUCT_NOT_FOUND)
    rows = await reviews_with_authors(session, product_id, page)
    return ReviewList(
        reviews=[_out(row) for row in rows], pagination=Pagination.of(page, product.total)
    )
