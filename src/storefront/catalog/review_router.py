"""Product reviews. Writes move the catalog cache on after their commit (ratings appear in
listings)."""

import uuid

from fastapi import APIRouter

from storefront.auth.service import CurrentUser
from storefront.catalog import reviews
from storefront.catalog.review_schemas import (
    ReviewCreate,
    ReviewDeleted,
    ReviewList,
    ReviewResponse,
    ReviewUpdate,
)
from storefront.core.database import SessionDep
from storefront.core.openapi import UNAUTHORIZED, documented
from storefront.core.pagination import PageDep

router = APIRouter(tags=["reviews"], responses=documented((404, "Product or review not found.")))


@router.get("/products/{product_id}/reviews")
async def list_reviews(session: SessionDep, product_id: uuid.UUID, page: PageDep) -> ReviewList:
    return await reviews.list_reviews(session, product_id, page)


@router.post(
    "/products/{product_id}/reviews",
    status_code=201,
    responses=documented(UNAUTHORIZED, (409, "You have already reviewed this product.")),
)
async def create_review(
    session: SessionDep, user: CurrentUser, product_id: uuid.UUID, data: ReviewCreate
) -> ReviewResponse:
    review = await reviews.create_review(session, product_id, user.user_id, data)
    return ReviewResponse(review=review)


@router.patch("/products/{product_id}/reviews/{review_id}", responses=documented(UNAUTHORIZED))
async def update_review(
    session: SessionDep,
    user: CurrentUser,
    product_id: uuid.UUID,
    review_id: uuid.UUID,
    data: ReviewUpdate,
) -> ReviewResponse:
    changes = data.model_dump(exclude_unset=True)
    review = await reviews.update_review(session, product_id, review_id, user.user_id, changes)
    return ReviewResponse(review=review)


@router.delete("/products/{product_id}/reviews/{review_id}", responses=documented(UNAUTHORIZED))
async def delete_review(
    session: SessionDep, user: CurrentUser, product_id: uuid.UUID, review_id: uuid.UUID
) -> ReviewDeleted:
    await reviews.delete_review(session, product_id, review_id, user.user_id)
    return ReviewDeleted()
