"""Reviews as a customer writes them and as everyone reads them."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from storefront.core.pagination import Pagination
from storefront.core.schemas import (
    JsonInt,
    Omittable,
    RequestSchema,
    Schema,
    StrippedText,
    SuccessResponse,
)

Rating = Annotated[JsonInt, Field(ge=1, le=5)]
Title = Annotated[str, StrippedText(min_length=1, max_length=120)]
Body = Annotated[str, StrippedText(max_length=5000)]


class ReviewCreate(RequestSchema):
    rating: Rating
    title: Title
    body: Body = ""


class ReviewUpdate(RequestSchema):
    """Fields left out stay as they are."""

    rating: Omittable[Rating] = None
    title: Omittable[Title] = None
    body: Omittable[Body] = None

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
