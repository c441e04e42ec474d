"""Reviews as a customer writes them and as everyone reads them."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from storefront.core.pagination import Pagination
from storefront.core.schemas import RequestSchema, Schema, SuccessResponse

Rating = Annotated[int, Field(ge=1, le=5)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class ReviewCreate(RequestSchema):
    rating: Rating
    title: Title
    body: Body = ""


class ReviewUpdate(RequestSchema):
    """Fields left out stay as they are."""

    rating: Rating | None = None
    title: Title | None = None
    body: Body | None = None

    @field_validator("rating", "title", "body")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("Must not be null")
        return value


class Review(Schema):
    review_id: uuid.UUID
    product_id: uuid.UUID
    rating: int
    title: str
    body: str
    author: str
    created_at: datetime
    updated_at: datetime


class ReviewResponse(SuccessResponse):
    review: Review


class ReviewList(SuccessResponse):
    reviews: list[Review]
    pagination: Pagination


class ReviewDeleted(SuccessResponse):
    message: str = "Review deleted."
