"""What the catalog's public routes send: categories, products, facets and suggestions."""

import uuid
from datetime import datetime
from typing import Self

from pydantic import Field

from storefront.core.money import Money
from storefront.core.pagination import PageParams, Pagination
from storefront.core.schemas import Schema, SuccessResponse

CATEGORY_ID_PATTERN = r"^[A-Z][A-Z0-9]{1,15}$"


class Category(Schema):
    category_id: str
    name: str


class CategoryList(SuccessResponse):
    categories: list[Category]


class CategoryDetail(Category):
    parent_id: str | None
    children: list[Category]
    product_count: int


class CategoryResponse(SuccessResponse):
    category: CategoryDetail


class ProductSummary(Schema):
    product_id: uuid.UUID
    name: str
    brand: str
    category_id: str
    price: Money
    discount_price: Money | None
    currency: str
    discount_percent: int
    image_url: str | None
    rating_avg: float | None
    rating_count: int
    in_stock: bool


class BrandFacet(Schema):
    brand: str
    count: int


class CategoryFacet(Schema):
    category_id: str
    count: int


class PriceFacet(Schema):
    min: Money | None
    max: Money | None


class Facets(Schema):
    brands: list[BrandFacet]
    categories: list[CategoryFacet]
    price: PriceFacet


class FacetBlock(Schema):
    """The facets and match count of one filter, as the listing caches them."""

    facets: Facets
    total: int


class ListingPagination(Pagination):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the page after this one (the same filters and sort); "
        "null on the last page."
    )

    @classmethod
    def of(cls, params: PageParams, total_items: int, *, next_cursor: str | None = None) -> Self:
        return cls(**Pagination.of(params, total_items).model_dump(), next_cursor=next_cursor)


class ProductList(SuccessResponse):
    products: list[ProductSummary]
    pagination: ListingPagination
    facets: Facets


class Product(Schema):
    product_id: uuid.UUID
    category_id: str
    slug: str
    name: str
    brand: str
    description: str
    price: Money
    discount_price: Money | None
    currency: str
    discount_percent: int
    stock_quantity: int
    in_stock: bool
    image_urls: list[str]
    rating_avg: float | None
    rating_count: int
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductResponse(SuccessResponse):
    product: Product


class Suggestion(Schema):
    product_id: uuid.UUID
    name: str


class SuggestionList(SuccessResponse):
    suggestions: list[Suggestion]
