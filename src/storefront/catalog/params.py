"""Query parameters of the product listing, checked together (400 with one entry per field)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Query, Request

from storefront.catalog.listing import ProductFilters, ProductSort
from storefront.catalog.schemas import CATEGORY_ID_PATTERN
from storefront.core.errors import InvalidInput
from storefront.core.schemas import FieldError

MAX_QUERY_LENGTH = 200
MAX_BRANDS = 20

PriceParam = Annotated[
    Decimal | None, Query(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False)
]


@dataclass(frozen=True)
class ProductQuery:
    filters: ProductFilters
    sort: ProductSort


async def _product_query(
    *,
    category_id: Annotated[str | None, Query(pattern=CATEGORY_ID_PATTERN)] = None,
    brand: Annotated[list[str] | None, Query(max_length=MAX_BRANDS)] = None,
    min_price: PriceParam = None,
    max_price: PriceParam = None,
    in_stock: bool | None = None,
    min_rating: Annotated[Decimal | None, Query(ge=0, le=5, allow_inf_nan=False)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=MAX_QUERY_LENGTH)] = None,
    sort: ProductSort | None = None,
) -> ProductQuery:
    errors = []
    if min_price is not None and max_price is not None and min_price > max_price:
        errors.append(FieldError(field="min_price", message="Must not exceed max_price."))
    if sort is ProductSort.RELEVANCE and q is None:
        errors.append(FieldError(field="sort", message="Sorting by relevance needs q."))
    if errors:
        raise InvalidInput(errors=errors)
    filters = ProductFilters(
        category_id=category_id,
        brands=tuple(brand or ()),
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
        min_rating=min_rating,
        q=q,
    )
    default_sort = ProductSort.RELEVANCE if q is not None else ProductSort.NEWEST
    return ProductQuery(filters, sort or default_sort)


ProductQueryDep = Annotated[ProductQuery, Depends(_product_query)]


async def _currency(request: Request) -> str:
    currency: str = request.app.state.settings.currency
    return currency


Currency = Annotated[str, Depends(_currency)]
