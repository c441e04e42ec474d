"""Public catalog reads. Their JSON is cached (see cache.py): a hit never reaches these."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from storefront.catalog import categories, listing, products, search
from storefront.catalog.admin_router import router as admin_router
from storefront.catalog.cache import cacheable_json, request_parts
from storefront.catalog.params import MAX_QUERY_LENGTH, Currency, ProductQueryDep
from storefront.catalog.review_router import router as review_router
from storefront.catalog.schemas import (
    CATEGORY_ID_PATTERN,
    CategoryList,
    CategoryResponse,
    ProductList,
    ProductResponse,
    SuggestionList,
)
from storefront.core.database import SessionDep
from storefront.core.http import API_PREFIX
from storefront.core.pagination import PageDep

router = APIRouter(prefix=API_PREFIX, tags=["catalog"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Not found."}}


@router.get("/categories", response_model=CategoryList, responses=_NOT_FOUND)
async def list_categories(
    request: Request,
    session: SessionDep,
    parent_id: Annotated[str | None, Query(pattern=CATEGORY_ID_PATTERN)] = None,
) -> Response:
    found = await categories.list_categories(session, parent_id)
    return await cacheable_json(request, CategoryList(categories=found))


@router.get("/categories/{category_id}", response_model=CategoryResponse, responses=_NOT_FOUND)
async def get_category(request: Request, session: SessionDep, category_id: str) -> Response:
    category = await categories.get_category(session, category_id)
    return await cacheable_json(request, CategoryResponse(category=category))


@router.get("/products", response_model=ProductList)
async def list_products(
    request: Request,
    session: SessionDep,
    query: ProductQueryDep,
    page: PageDep,
    currency: Currency,
) -> Response:
    found = await listing.list_products(
        session, query.filters, query.sort, page, currency, facet_store=request_parts(request)
    )
    return await cacheable_json(request, found)


@router.get("/products/suggest", response_model=SuggestionList)
async def suggest_products(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)],
) -> Response:
    suggestions = await search.suggest(session, q)
    return await cacheable_json(request, SuggestionList(suggestions=suggestions))


@router.get("/products/{product_id}", response_model=ProductResponse, responses=_NOT_FOUND)
async def get_product(
    request: Request, session: SessionDep, product_id: uuid.UUID, currency: Currency
) -> Response:
    product = await products.get_product(session, product_id, currency)
    return await cacheable_json(request, ProductResponse(product=product))


router.include_router(review_router)
router.include_router(admin_router)
