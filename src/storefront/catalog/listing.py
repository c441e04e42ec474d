"""The product listing: filters, sorts, one page and its facets in two SQL statements, built
from Core selects (no ORM objects)."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.categories import descendants_of
from storefront.catalog.models import SEARCH_CONFIG
from storefront.catalog.models import products_table as products
from storefront.catalog.schemas import (
    BrandFacet,
    CategoryFacet,
    Facets,
    PriceFacet,
    ProductList,
    ProductSummary,
)
from storefront.core.pagination import PageParams, Pagination


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


def web_search_query(q: str) -> ColumnElement[object]:
    return func.websearch_to_tsquery(literal_column(f"'{SEARCH_CONFIG}'"), q)


def _conditions(filters: ProductFilters) -> list[ColumnElement[bool]]:
    p = products.c
    conditions: list[ColumnElement[bool]] = [p.is_active]
    if filters.category_id is not None:
        tree = descendants_of(filters.category_id)
        conditions.append(p.category_id.in_(select(tree.c.category_id)))
    if filters.brands:
        conditions.append(p.brand.in_(filters.brands))
    if filters.min_price is not None:
        conditions.append(p.effective_price >= filters.min_price)
    if filters.max_price is not None:
        conditions.append(p.effective_price <= filters.max_price)
    if filters.in_stock is not None:
        conditions.append(p.stock_quantity > 0 if filters.in_stock else p.stock_quantity == 0)
    if filters.min_rating is not None:
        conditions.append(p.rating_avg >= filters.min_rating)
    if filters.q is not None:
        conditions.append(p.search_vector.op("@@")(web_search_query(filters.q)))
    return conditions


def _order_by(sort: ProductSort, q: str | None) -> list[ColumnElement[object]]:
    p = products.c
    if sort is ProductSort.RELEVANCE and q is not None:
        # An exact name match first, then cover density over the weighted vector (name A,
        # brand B, description C), so a name hit outranks a description mention.
        return [
            (func.lower(p.name) == q.strip().lower()).desc(),
            func.ts_rank_cd(p.search_vector, web_search_query(q)).desc(),
            p.product_id,
        ]
    orders: dict[ProductSort, list[ColumnElement[object]]] = {
        ProductSort.PRICE_ASC: [p.effective_price.asc(), p.product_id],
        ProductSort.PRICE_DESC: [p.effective_price.desc(), p.product_id],
        ProductSort.RATING: [
            p.rating_avg.desc().nulls_last(),
            p.rating_count.desc(),
            p.product_id,
        ],
    }
    return orders.get(sort, [p.created_at.desc(), p.product_id.desc()])


def page_query(
    filters: ProductFilters, sort: ProductSort, page: PageParams
) -> Select[tuple[object]]:
    p = products.c
    return (
        select(
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
        .where(*_conditions(filters))
        .order_by(*_order_by(sort, filters.q))
        .limit(page.page_size)
        .offset(page.offset)
    )


def facets_query(filters: ProductFilters) -> Select[tuple[object]]:
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
        .where(*_conditions(filters))
        .group_by(func.grouping_sets(tuple_(p.brand), tuple_(p.category_id), tuple_()))
    )


# grouping(brand, category_id): 1 when only category_id is rolled up, 2 for brand, 3 for both.
_BY_BRAND, _BY_CATEGORY, _TOTAL = 1, 2, 3


def discount_percent(price: Decimal, discount_price: Decimal | None) -> int:
    if discount_price is None:
        return 0
    return int((price - discount_price) * 100 / price)


def summary(row: Row[tuple[object]], currency: str) -> ProductSummary:
    values = row._mapping
    rating_avg = values["rating_avg"]
    return ProductSummary(
        product_id=values["product_id"],
        name=values["name"],
        brand=values["brand"],
        category_id=values["category_id"],
        price=values["price"],
        discount_price=values["discount_price"],
        currency=currency,
        discount_percent=discount_percent(values["price"], values["discount_price"]),
        image_url=values["image_url"],
        rating_avg=None if rating_avg is None else float(rating_avg),
        rating_count=values["rating_count"],
        in_stock=values["in_stock"],
    )


def _facets(rows: list[Row[tuple[object]]]) -> tuple[Facets, int]:
    by_count = sorted(rows, key=lambda row: (-row.hits, str(row.brand or row.category_id)))
    total = next(row for row in rows if row.level == _TOTAL)
    facets = Facets(
        brands=[BrandFacet(brand=r.brand, count=r.hits) for r in by_count if r.level == _BY_BRAND],
        categories=[
            CategoryFacet(category_id=r.category_id, count=r.hits)
            for r in by_count
            if r.level == _BY_CATEGORY
        ],
        price=PriceFacet(min=total.min_price, max=total.max_price),
    )
    return facets, int(total.hits)


async def list_products(
    session: AsyncSession,
    filters: ProductFilters,
    sort: ProductSort,
    page: PageParams,
    currency: str,
) -> ProductList:
    rows = (await session.execute(page_query(filters, sort, page))).all()
    facets, total = _facets(list((await session.execute(facets_query(filters))).all()))
    return ProductList(
        products=[summary(row, currency) for row in rows],
        pagination=Pagination.of(page, total),
        facets=facets,
    )
