"""The product listing: filters, sorts, one page and its facets in two SQL statements, built
once per shape of filter as Core selects and run with each request's values (core/reads.py).

A page starts at the top (page numbers: LIMIT/OFFSET) or strictly after a position in the sort
order (keyset: a cursor, cursors.py). Deep page numbers start after the nearest of the sort's
anchors, the position of every ANCHOR_EVERY-th row, computed once per filter, sort and catalog
generation: a page then skips fewer than ANCHOR_EVERY rows however deep it is."""

import functools
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    REAL,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.sql.elements import BindParameter, UnaryExpression

from storefront.catalog import cursors
from storefront.catalog.categories import descendants_of
from storefront.catalog.cursors import CURSOR_SIZE, Cursor
from storefront.catalog.models import SEARCH_CONFIG
from storefront.catalog.models import products_table as products
from storefront.catalog.schemas import (
    BrandFacet,
    CategoryFacet,
    FacetBlock,
    Facets,
    ListingPagination,
    PriceFacet,
    ProductList,
)
from storefront.core.pagination import PageParams
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


class _After(Enum):
    """Where a page starts: at the top, or after a row (a rating sort's unrated rows apart)."""

    TOP = "top"
    ROW = "row"
    UNRATED_ROW = "unrated row"


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
    after: _After = _After.TOP


# Sorts whose partial index holds every sort key and product_id: an index-only scan can skip
# a deep page's offset without visiting the table.
_INDEX_ONLY_SORTS = frozenset({ProductSort.NEWEST, ProductSort.PRICE_ASC, ProductSort.RATING})
# From this offset on, an unfiltered page skips rows by an index-only scan, then reads its rows.
DEEP_OFFSET = 100
# A page number from this deep on starts after an anchor (see the module's docstring).
ANCHOR_EVERY = 200


def _shape(
    filters: ProductFilters,
    sort: ProductSort | None = None,
    offset: int = 0,
    after: _After = _After.TOP,
) -> _Shape:
    unfiltered = filters == ProductFilters()
    return _Shape(
        deep=unfiltered and sort in _INDEX_ONLY_SORTS and offset >= DEEP_OFFSET,
        after=after,
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


def _sort_keys(sort: ProductSort | None, q: bool) -> dict[str, ColumnElement[Any]]:
    """The sort's keys by the name a page's rows carry them under, in sort order."""
    p = products.c
    if sort is ProductSort.RELEVANCE and q:
        # An exact name match first, then cover density over the weighted vector (name A,
        # brand B, description C), so a name hit outranks a description mention.
        return {
            "key_exact": (func.lower(p.name) == bindparam("q_exact", type_=String())).self_group(),
            "key_rank": func.ts_rank_cd(p.search_vector, _SEARCH_QUERY, type_=REAL()),
            "product_id": p.product_id,
        }
    if sort in {ProductSort.PRICE_ASC, ProductSort.PRICE_DESC}:
        return {"key_price": p.effective_price, "product_id": p.product_id}
    if sort is ProductSort.RATING:
        return {"key_rating": p.rating_avg, "key_count": p.rating_count, "product_id": p.product_id}
    return {"key_time": p.created_at, "product_id": p.product_id}


def _ordered(
    sort: ProductSort | None, keys: Sequence[ColumnElement[Any]]
) -> list[UnaryExpression[Any]]:
    """The sort's ORDER BY over its keys (as `_sort_keys` lists them, from any FROM item).
    Ties end on product_id, in the direction of the sort's index."""
    if sort is ProductSort.PRICE_ASC:
        return [keys[0].asc(), keys[1].asc()]
    if sort is ProductSort.RATING:
        return [keys[0].desc().nulls_last(), keys[1].desc(), keys[2].asc()]
    if sort is ProductSort.RELEVANCE and len(keys) == 3:
        return [keys[0].desc(), keys[1].desc(), keys[2].asc()]
    return [keys[0].desc(), keys[1].desc()]


def _after_branches(shape: _Shape) -> list[list[ColumnElement[bool]]]:
    """The rows strictly after the cursor's, as disjoint ranges of the sort order, each one an
    index range where the sort has an index (a row comparison where the index's directions
    allow one)."""
    p = products.c
    after_id = bindparam("after_id", type_=p.product_id.type)
    sort = shape.sort
    if sort is ProductSort.RELEVANCE and shape.q:
        keys = list(_sort_keys(sort, q=True).values())
        exact = bindparam("after_exact", type_=Boolean())
        rank: BindParameter[float] = bindparam("after_rank", type_=REAL())
        later = or_(keys[1] < rank, and_(keys[1] == rank, p.product_id > after_id))
        return [[or_(keys[0] < exact, and_(keys[0] == exact, later))]]
    if sort in {ProductSort.PRICE_ASC, ProductSort.PRICE_DESC}:
        price = bindparam("after_price", type_=p.effective_price.type)
        row, at = tuple_(p.effective_price, p.product_id), tuple_(price, after_id)
        return [[row > at if sort is ProductSort.PRICE_ASC else row < at]]
    if sort is ProductSort.RATING:
        count = bindparam("after_count", type_=Integer())
        if shape.after is _After.UNRATED_ROW:
            unrated = p.rating_avg.is_(None)
            return [
                [unrated, p.rating_count == count, p.product_id > after_id],
                [unrated, p.rating_count < count],
            ]
        rating = bindparam("after_rating", type_=p.rating_avg.type)
        return [
            [p.rating_avg == rating, p.rating_count == count, p.product_id > after_id],
            [p.rating_avg == rating, p.rating_count < count],
            [p.rating_avg < rating],
            [p.rating_avg.is_(None)],
        ]
    time = bindparam("after_time", type_=p.created_at.type)
    return [[tuple_(p.created_at, p.product_id) < tuple_(time, after_id)]]


def _columns(keys: Sequence[ColumnElement[Any]]) -> Select[tuple[object]]:
    """A page's columns: a product summary's, then the sort keys (for its next cursor)."""
    p = products.c
    return select(
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
        *keys,
    )


@functools.lru_cache(maxsize=512)
def _page_template(shape: _Shape) -> Select[tuple[object]]:
    if shape.after is not _After.TOP:
        return _after_template(shape)
    p = products.c
    keys = _sort_keys(shape.sort, shape.q)
    columns = _columns([key.label(name) for name, key in keys.items() if name != "product_id"])
    order_by = _ordered(shape.sort, list(keys.values()))
    limit = bindparam("limit", type_=Integer())
    offset = bindparam("offset", type_=Integer())
    if not shape.deep:
        return columns.where(*_conditions(shape)).order_by(*order_by).limit(limit).offset(offset)
    # A deep page: the offset is skipped over the sort's index alone (index-only scan), and
    # only the page's own rows are read from the table. Same rows, same order.
    page_keys = (
        select(p.product_id)
        .where(*_conditions(shape))
        .order_by(*order_by)
        .limit(limit)
        .offset(offset)
        .subquery("page_keys")
    )
    return columns.join_from(products, page_keys, p.product_id == page_keys.c.product_id).order_by(
        *order_by
    )


def _after_template(shape: _Shape) -> Select[tuple[object]]:
    """A page after a position: each range of `_after_branches` gives its first rows' keys
    (an index-only scan where the sort has an index), the merged ranges give the page's keys,
    then only the page's rows are read."""
    p = products.c
    keys = _sort_keys(shape.sort, shape.q)
    order_by = _ordered(shape.sort, list(keys.values()))
    labelled = [key.label(name) for name, key in keys.items()]
    window = bindparam("window", type_=Integer())
    conditions = _conditions(shape)  # one category tree for every range
    ranges = [
        select(*labelled).where(*conditions, *branch).order_by(*order_by).limit(window)
        for branch in _after_branches(shape)
    ]
    after_keys = (ranges[0] if len(ranges) == 1 else union_all(*ranges)).subquery("after_keys")
    page_keys = (
        select(after_keys)
        .order_by(*_ordered(shape.sort, [after_keys.c[name] for name in keys]))
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
        .subquery("page_keys")
    )
    sort_columns = [page_keys.c[name] for name in keys]
    return (
        _columns([column for column in sort_columns if column.name != "product_id"])
        .join_from(products, page_keys, p.product_id == page_keys.c.product_id)
        .order_by(*_ordered(shape.sort, sort_columns))
    )


@dataclass(frozen=True)
class PageStart:
    """Where a page starts: after a row's position (None: at the top), skipping `offset` more
    rows; `position` counts every row before the page."""

    after: Cursor | None
    offset: int
    position: int

    @classmethod
    def of(cls, page: PageParams) -> "PageStart":
        return cls(None, page.offset, page.offset)


def _after_values(sort: ProductSort, after: Cursor) -> tuple[_After, dict[str, object]]:
    values: dict[str, object] = {"after_id": after.product_id}
    if sort is ProductSort.RELEVANCE:
        return _After.ROW, values | {
            "after_exact": after.first != 0,
            "after_rank": cursors.real_of(after.second),
        }
    if sort in {ProductSort.PRICE_ASC, ProductSort.PRICE_DESC}:
        return _After.ROW, values | {"after_price": cursors.cents_of(after.first)}
    if sort is ProductSort.RATING:
        values["after_count"] = max(0, min(after.second, 2**31 - 1))
        rating = cursors.rating_of(after.first)
        if rating is None:
            return _After.UNRATED_ROW, values
        return _After.ROW, values | {"after_rating": rating}
    return _After.ROW, values | {"after_time": cursors.time_of(after.first)}


def page_statement(
    filters: ProductFilters, sort: ProductSort, page: PageParams, start: PageStart | None = None
) -> tuple[Select[tuple[object]], Values]:
    """The page's shared statement and this request's values for it."""
    start = start or PageStart.of(page)
    values = _values(filters) | {"limit": page.page_size, "offset": start.offset}
    if start.after is None:
        return _page_template(_shape(filters, sort, start.offset)), values
    after, after_values = _after_values(sort, start.after)
    values |= after_values | {"window": page.page_size + start.offset}
    return _page_template(_shape(filters, sort, after=after)), values


def cursor_of(sort: ProductSort, row: Mapping[str, Any], position: int) -> Cursor:
    """The position after this row of a page (`position`: the rows up to and including it)."""
    product_id = row["product_id"]
    if "key_rank" in row:
        return Cursor(
            int(row["key_exact"]), cursors.real_key(row["key_rank"]), product_id, position
        )
    if "key_price" in row:
        return Cursor(cursors.cents_key(row["key_price"]), 0, product_id, position)
    if "key_rating" in row:
        rating = cursors.rating_key(row["key_rating"])
        return Cursor(rating, row["key_count"], product_id, position)
    return Cursor(cursors.time_key(row["key_time"]), 0, product_id, position)


@functools.lru_cache(maxsize=512)
def _anchors_template(shape: _Shape) -> Select[tuple[object]]:
    """The keys of every ANCHOR_EVERY-th row of the sort order, with its row number."""
    keys = _sort_keys(shape.sort, shape.q)
    number = func.row_number().over(order_by=_ordered(shape.sort, list(keys.values())))
    ranked = (
        select(*(key.label(name) for name, key in keys.items()), number.label("row_number"))
        .where(*_conditions(shape))
        .subquery("ranked")
    )
    return (
        select(ranked).where(ranked.c.row_number % ANCHOR_EVERY == 0).order_by(ranked.c.row_number)
    )


def anchors_statement(
    filters: ProductFilters, sort: ProductSort
) -> tuple[Select[tuple[object]], Values]:
    return _anchors_template(_shape(filters, sort)), _values(filters)


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


def anchors_key(filters: ProductFilters, sort: ProductSort) -> str:
    digest = hashlib.blake2b(repr((filters, sort)).encode(), digest_size=16).hexdigest()
    return "anchors:" + digest


async def _page_start(
    reader: Reader,
    filters: ProductFilters,
    sort: ProductSort,
    page: PageParams,
    store: FacetStore | None,
) -> PageStart:
    """A page number's start: after the nearest anchor when the page is that deep and the
    anchors can be kept (without a cache each request would compute them: OFFSET instead)."""
    if store is None or page.offset < ANCHOR_EVERY:
        return PageStart.of(page)

    async def build() -> bytes:
        rows = await reader.all(*anchors_statement(filters, sort))
        return b"".join(cursor_of(sort, row, row["row_number"]).to_bytes() for row in rows)

    anchors = await store.get_or_build(anchors_key(filters, sort), build)
    nearest = min(page.offset // ANCHOR_EVERY, len(anchors) // CURSOR_SIZE)
    if nearest == 0:
        return PageStart.of(page)
    anchor = Cursor.from_bytes(anchors[(nearest - 1) * CURSOR_SIZE : nearest * CURSOR_SIZE])
    return PageStart(anchor, page.offset - anchor.position, page.offset)


async def list_products(
    reader: Reader,
    filters: ProductFilters,
    sort: ProductSort,
    page: PageParams,
    currency: str,
    *,
    after: Cursor | None = None,
    facet_store: FacetStore | None = None,
) -> ProductList:
    """One page: `page`'s number, or (`after`, a cursor) the page after that position."""
    if after is None:
        start = await _page_start(reader, filters, sort, page, facet_store)
    else:
        start = PageStart(after, 0, after.position)
    rows = await reader.all(*page_statement(filters, sort, page, start))
    facets, total = await _facet_block(reader, filters, facet_store)
    shown = start.position + len(rows)
    more = len(rows) == page.page_size and shown < total
    # One validation call for the page, not one model construction per row.
    return ProductList.model_validate(
        {
            "products": [_summary(row, currency) for row in rows],
            "pagination": ListingPagination.of(
                PageParams(start.position // page.page_size + 1, page.page_size),
                total,
                next_cursor=cursor_of(sort, rows[-1], shown).encode() if more else None,
            ),
            "facets": facets,
        }
    )
