"""The product listing: filters, sorts, one page and its facets in two SQL statements, built
once per shape of filter as Core selects and run with each request's values (core/reads.py)."""

import functools
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    tuple_,
)

from storefront.catalog.categories import descendants_of
from storefront.catalog.models import SEARCH_CONFIG
from storefront.catalog.models import products_table as products
from storefront.catalog.schemas import (
    BrandFacet,
    CategoryFacet,
    FacetBlock,
    Facets,
    PriceFacet,
    ProductList,
)
from storefront.core.pagination import PageParams, Pagination
from storefront.core.reads import Reader, Values


class ProductSort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"
    RATING = "rating"


@dataclass(frozen=True)
class ProductFilters:
    category_id: str | None = None
    brands: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    min_rating: Decimal | None = None
    q: str | None = None


@dataclass(frozen=True)
class _Shape:
    """Which filters a listing has (and the sort): the statement for a shape is built once and
    run with each request's values as parameters, instead of rebuilt per request."""

    category: bool
    brands: bool
    min_price: bool
    max_price: bool
    in_stock: bool | None
    min_rating: bool
    q: bool
    sort: ProductSort | None = None
    deep: bool = False


# Sorts whose partial index holds every sort key and product_id: an index-only scan can skip
# a deep page's offset without visiting the table.
_INDEX_ONLY_SORTS = frozenset({ProductSort.NEWEST, ProductSort.PRICE_ASC, ProductSort.RATING})
# From this offset on, an unfiltered page skips rows by an index-only scan, then reads its rows.
DEEP_OFFSET = 100


def _shape(filters: ProductFilters, sort: ProductSort | None = None, offset: int = 0) -> _Shape:
    unfiltered = filters == ProductFilters()
    return _Shape(
        deep=unfiltered and sort in _INDEX_ONLY_SORTS and offset >= DEEP_OFFSET,
        category=filters.category_id is not None,
        brands=bool(filters.brands),
        min_price=filters.min_price is not None,
        max_price=filters.max_price is not None,
        in_stock=filters.in_stock,
        min_rating=filters.min_rating is not None,
        q=filters.q is not None,
        sort=sort,
    )


def _values(filters: ProductFilters) -> dict[str, object]:
    values: dict[str, object] = {
        "category_id": filters.category_id,
        "brands": list(filters.brands),
        "min_price": filters.min_price,
        "max_price": filters.max_price,
        "min_rating": filters.min_rating,
        "q": filters.q,
        "q_exact": None if filters.q is None else filters.q.strip().lower(),
    }
    return {name: value for name, value in values.items() if value is not None and value != []}


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    p = products.c
    conditions: list[ColumnElement[bool]] = [p.is_active]
    if shape.category:
        tree = descendants_of(bindparam("category_id", type_=p.category_id.type))
        conditions.append(p.category_id.in_(select(tree.c.category_id)))
    if shape.brands:
        conditions.append(p.brand == any_(bindparam("brands", type_=ARRAY(p.brand.type))))
    if shape.min_price:
        conditions.append(p.effective_price >= bindparam("min_price", type_=p.price.type))
    if shape.max_price:
        conditions.append(p.effective_price <= bindparam("max_price", type_=p.price.type))
    if shape.in_stock is not None:
        conditions.append(p.stock_quantity > 0 if shape.in_stock else p.stock_quantity == 0)
    if shape.min_rating:
        conditions.append(p.rating_avg >= bindparam("min_rating", type_=p.rating_avg.type))
    if shape.q:
        conditions.append(p.search_vector.op("@@")(_SEARCH_QUERY))
    return conditions


# The parsed query as a FROM item (`FROM products, websearch_to_tsquery(...) AS search_query`):
# parsed once per statement, not again for every matching row by the ranking (40% of a
# two-word search's execution time).
_SEARCH_QUERY = func.websearch_to_tsquery(
    literal_column(f"'{SEARCH_CONFIG}'"), bindparam("q", type_=String())
).column_valued("search_query")


def _order_by(sort: ProductSort | None, q: bool) -> list[ColumnElement[object]]:
    p = products.c
    if sort is ProductSort.RELEVANCE and q:
        # An exact name match first, then cover density over the weighted vector (name A,
        # brand B, description C), so a name hit outranks a description mention.
        return [
            (func.lower(p.name) == bindparam("q_exact", type_=String())).desc(),
            func.ts_rank_cd(p.search_vector, _SEARCH_QUERY).desc(),
            p.product_id,
        ]
    orders: dict[ProductSort | None, list[ColumnElement[object]]] = {
        ProductSort.PRICE_ASC: [p.effective_price.asc(), p.product_id],
        ProductSort.PRICE_DESC: [p.effective_price.desc(), p.product_id],
        ProductSort.RATING: [
            p.rating_avg.desc().nulls_last(),
            p.rating_count.desc(),
            p.product_id,
        ],
    }
    return orders.get(sort, [p.created_at.desc(), p.product_id.desc()])


@functools.lru_cache(maxsize=512)
def _page_template(shape: _Shape) -> Select[tuple[object]]:
    p = products.c
    columns = select(
        p.product_id,
        p.name,
        p.brand,
        p.category_id,
        p.price,
        p.discount_price,
        p.image_urls[1].label("image_url"),
        p.rating_avg,
        p.rating_count,
        (p.stock_quantity > 0).label("in_stock"),
    )
    order_by = _order_by(shape.sort, shape.q)
    limit = bindparam("limit", type_=Integer())
    offset = bindparam("offset", type_=Integer())
    if not shape.deep:
        return columns.where(*_conditions(shape)).order_by(*order_by).limit(limit).offset(offset)
    # A deep page: the offset is skipped over the sort's index alone (index-only scan), and
    # only the page's own rows are read from the table. Same rows, same order.
    keys = (
        select(p.product_id)
        .where(*_conditions(shape))
        .order_by(*order_by)
        .limit(limit)
        .offset(offset)
        .subquery("page_keys")
    )
    return columns.join_from(products, keys, p.product_id == keys.c.product_id).order_by(*order_by)


def _page_values(filters: ProductFilters, page: PageParams) -> dict[str, object]:
    return _values(filters) | {"limit": page.page_size, "offset": page.offset}


def page_statement(
    filters: ProductFilters, sort: ProductSort, page: PageParams
) -> tuple[Select[tuple[object]], Values]:
    """The page's shared statement and this request's values for it."""
    return _page_template(_shape(filters, sort, page.offset)), _page_values(filters, page)


@functools.lru_cache(maxsize=512)
def _facets_template(shape: _Shape) -> Select[tuple[object]]:
    """Brand and category counts plus the grand total and price range, in one scan."""
    p = products.c
    return (
        select(
            p.brand,
            p.category_id,
            func.grouping(p.brand, p.category_id).label("level"),
            func.count().label("hits"),
            func.min(p.effective_price).label("min_price"),
            func.max(p.effective_price).label("max_price"),
        )
        .where(*_conditions(shape))
        .group_by(func.grouping_sets(tuple_(p.brand), tuple_(p.category_id), tuple_()))
    )


def facets_statement(filters: ProductFilters) -> tuple[Select[tuple[object]], Values]:
    return _facets_template(_shape(filters)), _values(filters)


# grouping(brand, category_id): 1 when only category_id is rolled up, 2 for brand, 3 for both.
_BY_BRAND, _BY_CATEGORY, _TOTAL = 1, 2, 3


def discount_percent(price: Decimal, discount_price: Decimal | None) -> int:
    if discount_price is None:
        return 0
    return int((price - discount_price) * 100 / price)


def _summary(values: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """A product row as ProductSummary's fields (validated with the whole page at once)."""
    rating_avg = values["rating_avg"]
    return {
        "product_id": values["product_id"],
        "name": values["name"],
        "brand": values["brand"],
        "category_id": values["category_id"],
        "price": values["price"],
        "discount_price": values["discount_price"],
        "currency": currency,
        "discount_percent": discount_percent(values["price"], values["discount_price"]),
        "image_url": values["image_url"],
        "rating_avg": None if rating_avg is None else float(rating_avg),
        "rating_count": values["rating_count"],
        "in_stock": values["in_stock"],
    }


def _facets(rows: Sequence[Mapping[str, Any]]) -> tuple[Facets, int]:
    by_count = sorted(rows, key=lambda row: (-row["hits"], str(row["brand"] or row["category_id"])))
    total = next(row for row in rows if row["level"] == _TOTAL)
    facets = Facets(
        brands=[
            BrandFacet(brand=row["brand"], count=row["hits"])
            for row in by_count
            if row["level"] == _BY_BRAND
        ],
        categories=[
            CategoryFacet(category_id=row["category_id"], count=row["hits"])
            for row in by_count
            if row["level"] == _BY_CATEGORY
        ],
        price=PriceFacet(min=total["min_price"], max=total["max_price"]),
    )
    return facets, int(total["hits"])


class FacetStore(Protocol):
    """Where a listing keeps the facet block of its filters, valid for one catalog generation:
    the facets do not depend on the sort or the page, so every page and sort of the same
    filters shares one aggregate over the matching rows."""

    async def get_or_build(self, key: str, build: Callable[[], Awaitable[bytes]]) -> bytes: ...


def facets_key(filters: ProductFilters) -> str:
    return "facets:" + hashlib.blake2b(repr(filters).encode(), digest_size=16).hexdigest()


async def _facet_block(
    reader: Reader, filters: ProductFilters, store: FacetStore | None
) -> tuple[Facets, int]:
    async def build() -> bytes:
        facets, total = _facets(await reader.all(*facets_statement(filters)))
        return FacetBlock(facets=facets, total=total).model_dump_json().encode()

    built = await (build() if store is None else store.get_or_build(facets_key(filters), build))
    block = FacetBlock.model_validate_json(built)
    return block.facets, block.total


async def list_products(
    reader: Reader,
    filters: ProductFilters,
    sort: ProductSort,
    page: PageParams,
    currency: str,
    *,
    facet_store: FacetStore | None = None,
) -> ProductList:
    rows = await reader.all(*page_statement(filters, sort, page))
    facets, total = await _facet_block(reader, filters, facet_store)
    # One validation call for the page, not one model construction per row.
    return ProductList.model_validate(
        {
            "products": [_summary(row, currency) for row in rows],
            "pagination": Pagination.of(page, total),
            "facets": facets,
        }
    )
