"""The public catalog reads, each from its validated parameters to the body it answers with.
The catalog front (front.py) runs them for nearly every request; the routes (router.py) run the
same functions for what the front passes on."""

import uuid
from dataclasses import dataclass

from storefront.catalog import categories, listing, products, search
from storefront.catalog.cache import GenerationParts
from storefront.catalog.params import (
    CategoryListParams,
    ProductListParams,
    SuggestParams,
    product_query,
)
from storefront.catalog.schemas import (
    CategoryList,
    CategoryResponse,
    ProductList,
    ProductResponse,
    SuggestionList,
)
from storefront.core.reads import Reader


@dataclass(frozen=True)
class ReadContext:
    reader: Reader
    currency: str
    # Where a listing keeps the facets of its filter (None when the cache is unreachable).
    parts: GenerationParts | None


async def category_list(context: ReadContext, params: CategoryListParams) -> CategoryList:
    found = await categories.list_categories(context.reader, params.parent_id)
    return CategoryList(categories=found)


async def category_detail(context: ReadContext, category_id: str) -> CategoryResponse:
    category = await categories.get_category(context.reader, category_id)
    return CategoryResponse(category=category)


async def product_list(context: ReadContext, params: ProductListParams) -> ProductList:
    query = product_query(params)
    return await listing.list_products(
        context.reader,
        query.filters,
        query.sort,
        query.page,
        context.currency,
        after=query.after,
        facet_store=context.parts,
    )


async def product_suggestions(context: ReadContext, params: SuggestParams) -> SuggestionList:
    return SuggestionList(suggestions=await search.suggest(context.reader, params.q))


async def product_detail(context: ReadContext, product_id: uuid.UUID) -> ProductResponse:
    product = await products.get_product(context.reader, product_id, context.currency)
    return ProductResponse(product=product)
