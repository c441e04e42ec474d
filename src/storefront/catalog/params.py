"""Query parameters of the public catalog reads, one model per read. The routes declare them (so
they are documented and their errors are 400s with one entry per field) and the catalog front
validates requests with the very same models before the framework runs (front.py)."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from storefront.catalog import cursors
from storefront.catalog.cursors import CURSOR_PATTERN, Cursor
from storefront.catalog.listing import ProductFilters, ProductSort
from storefront.catalog.schemas import CATEGORY_ID_PATTERN
from storefront.core.money import TWO_PLACES, Money
from storefront.core.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    PageParams,
)
from storefront.core.schemas import NO_NUL, Text

MAX_QUERY_LENGTH = 200
MAX_BRANDS = 20
_ANY_TEXT = {"type": "string", "pattern": NO_NUL}


def _rating_bound(value: Decimal) -> Decimal:
    """Averages are stored with two places, so "at least x" is exactly "at least x rounded up
    to two places", a bound that always fits the column (`1e-100000` becomes 0.01)."""
    return value.quantize(TWO_PLACES, rounding=ROUND_CEILING)


# Money brings a price to its two places: `0E-100000` has an exponent no NUMERIC holds.
Price = (
    Annotated[
        Money,
        Field(ge=0),
        WithJsonSchema(
            {"type": "number", "minimum": 0, "maximum": 9999999999.99, "multipleOf": 0.01},
            mode="validation",
        ),
    ]
    | None
)
Rating = Annotated[
    Decimal,
    Field(ge=0, le=5, allow_inf_nan=False),
    AfterValidator(_rating_bound),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 5}, mode="validation"),
]
SearchText = Annotated[str, Text(min_length=1, max_length=MAX_QUERY_LENGTH)]


def _cursor(text: str | None) -> str | None:
    if text is not None:
        cursors.decode(text)
    return text


ListingCursor = Annotated[
    str | None,
    AfterValidator(_cursor),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CURSOR_PATTERN,
            "description": "A `pagination.next_cursor` this listing returned: the page after "
            "it, in the same sort (`page` is then ignored). Stable while products are added "
            "or removed before it, and cheap however deep.",
        }
    ),
]


# Documented, not checked: any other category id is simply not found.
CategoryId = Annotated[str, Path(json_schema_extra={"pattern": CATEGORY_ID_PATTERN})]


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
    brand: Annotated[
        list[Annotated[str, WithJsonSchema(_ANY_TEXT)]], Field(max_length=MAX_BRANDS)
    ] = []
    min_price: Price = None
    max_price: Price = None
    in_stock: bool | None = None
    min_rating: Rating | None = None
    q: SearchText | None = None
    sort: Annotated[
        ProductSort | None,
        Field(description="Default: relevance with q, else newest (relevance without q too)."),
    ] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    cursor: ListingCursor = None


@dataclass(frozen=True)
class ProductQuery:
    filters: ProductFilters
    sort: ProductSort
    page: PageParams
    after: Cursor | None


def product_query(params: ProductListParams) -> ProductQuery:
    """The listing the parameters ask for. A price range whose minimum exceeds its maximum
    matches nothing; relevance without a search is the default order."""
    filters = ProductFilters(
        category_id=params.category_id,
        brands=tuple(sorted(set(params.brand))),
        min_price=params.min_price,
        max_price=params.max_price,
        in_stock=params.in_stock,
        min_rating=params.min_rating,
        q=params.q,
    )
    sort: ProductSort
    if params.q is None:
        sort = ProductSort.NEWEST if params.sort in {None, ProductSort.RELEVANCE} else params.sort
    else:
        sort = params.sort or ProductSort.RELEVANCE
    after = None if params.cursor is None else cursors.decode(params.cursor)
    return ProductQuery(filters, sort, PageParams(params.page, params.page_size), after)


async def _currency(request: Request) -> str:
    currency: str = request.app.state.settings.currency
    return currency


Currency = Annotated[str, Depends(_currency)]
