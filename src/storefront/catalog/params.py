"""Query parameters of the public catalog reads, one model per read. The routes declare them (so
they are documented and their errors are 400s with one entry per field) and the catalog front
validates requests with the very same models before the framework runs (front.py)."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Annotated

from fastapi import Depends, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from storefront.catalog.listing import ProductFilters, ProductSort
from storefront.catalog.schemas import CATEGORY_ID_PATTERN
from storefront.core.errors import InvalidInput
from storefront.core.money import TWO_PLACES, Money
from storefront.core.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    PageParams,
)
from storefront.core.schemas import FieldError

MAX_QUERY_LENGTH = 200
MAX_BRANDS = 20


def _rating_bound(value: Decimal) -> Decimal:
    """Averages are stored with two places, so "at least x" is exactly "at least x rounded up
    to two places", a bound that always fits the column (`1e-100000` becomes 0.01)."""
    return value.quantize(TWO_PLACES, rounding=ROUND_CEILING)


# Money brings a price to its two places: `0E-100000` has an exponent no NUMERIC holds.
Price = Annotated[Money, Field(ge=0)] | None
Rating = Annotated[Decimal, Field(ge=0, le=5, allow_inf_nan=False), AfterValidator(_rating_bound)]
SearchText = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_LENGTH)]


class QueryParams(BaseModel):
    """Unknown query parameters are ignored, as they always were (caches and trackers add
    their own)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class CategoryListParams(QueryParams):
    parent_id: Annotated[str | None, Field(pattern=CATEGORY_ID_PATTERN)] = None


class SuggestParams(QueryParams):
    q: SearchText


class ProductListParams(QueryParams):
    category_id: Annotated[str | None, Field(pattern=CATEGORY_ID_PATTERN)] = None
    brand: Annotated[list[str], Field(max_length=MAX_BRANDS)] = []
    min_price: Price = None
    max_price: Price = None
    in_stock: bool | None = None
    min_rating: Rating | None = None
    q: SearchText | None = None
    sort: ProductSort | None = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class ProductQuery:
    filters: ProductFilters
    sort: ProductSort
    page: PageParams


def product_query(params: ProductListParams) -> ProductQuery:
    """The listing the parameters ask for, once the rules between them hold (400 otherwise)."""
    errors = []
    if (
        params.min_price is not None
        and params.max_price is not None
        and params.min_price > params.max_price
    ):
        errors.append(FieldError(field="min_price", message="Must not exceed max_price."))
    if params.sort is ProductSort.RELEVANCE and params.q is None:
        errors.append(FieldError(field="sort", message="Sorting by relevance needs q."))
    if errors:
        raise InvalidInput(errors=errors)
    filters = ProductFilters(
        category_id=params.category_id,
        brands=tuple(params.brand),
        min_price=params.min_price,
        max_price=params.max_price,
        in_stock=params.in_stock,
        min_rating=params.min_rating,
        q=params.q,
    )
    default_sort = ProductSort.RELEVANCE if params.q is not None else ProductSort.NEWEST
    return ProductQuery(
        filters, params.sort or default_sort, PageParams(params.page, params.page_size)
    )


async def _currency(request: Request) -> str:
    currency: str = request.app.state.settings.currency
    return currency


Currency = Annotated[str, Depends(_currency)]
