"""What an administrator sends to create and change categories and products. Read-only fields
(product_id, slug, rating_avg, rating_count, created_at, ...) are unknown fields here: 400."""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from storefront.catalog.schemas import CATEGORY_ID_PATTERN
from storefront.core.schemas import (
    JsonBool,
    JsonInt,
    Omittable,
    PositiveMoney,
    RequestSchema,
    StrippedText,
    Text,
)

CategoryCode = Annotated[str, StringConstraints(pattern=CATEGORY_ID_PATTERN)]
CategoryName = Annotated[str, StrippedText(min_length=1, max_length=100)]
ProductName = Annotated[str, StrippedText(min_length=1, max_length=200)]
BrandName = Annotated[str, StrippedText(min_length=1, max_length=100)]
Description = Annotated[str, StrippedText(max_length=10_000)]
Price = PositiveMoney
Stock = Annotated[JsonInt, Field(ge=0, le=2**31 - 1)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("Image URLs must be http(s) URLs")
    return value


ImageUrl = Annotated[
    str, Text(max_length=2048), AfterValidator(_http_url), Field(description="An http(s) URL.")
]
ImageUrls = Annotated[list[ImageUrl], Field(max_length=20)]


class CategoryCreate(RequestSchema):
    category_id: CategoryCode
    name: CategoryName
    parent_id: CategoryCode | None = None


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("Must not be null")
    return value


class CategoryUpdate(RequestSchema):
    """Fields left out stay as they are."""

    name: Omittable[CategoryName] = None
    parent_id: CategoryCode | None = None

    _name_not_null = field_validator("name")(_not_null)


class ProductCreate(RequestSchema):
    category_id: CategoryCode
    name: ProductName
    brand: BrandName
    description: Description = ""
    price: Price
    discount_price: Price | None = None
    stock_quantity: Stock
    image_urls: ImageUrls = Field(default_factory=list)
    is_active: JsonBool = True


class ProductUpdate(RequestSchema):
    """Fields left out stay as they are; only discount_price may be set to null."""

    category_id: Omittable[CategoryCode] = None
    name: Omittable[ProductName] = None
    brand: Omittable[BrandName] = None
    description: Omittable[Description] = None
    price: Omittable[Price] = None
    discount_price: Price | None = None
    stock_quantity: Omittable[Stock] = None
    image_urls: Omittable[ImageUrls] = None
    is_active: Omittable[JsonBool] = None

    _not_null = field_validator(
        "category_id",
        "name",
        "brand",
        "description",
        "price",
        "stock_quantity",
        "image_urls",
        "is_active",
    )(_not_null)
