"""Public catalog reads. The catalog front (front.py) answers their GETs before routing; these
routes declare them for the OpenAPI document, render the 400s of parameters the front refused,
and answer HEAD, running the same reads (public.py)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from storefront.catalog import public
from storefront.catalog.admin_router import router as admin_router
from storefront.catalog.cache import cacheable_json
from storefront.catalog.params import (
    CategoryId,
    CategoryListParams,
    Currency,
    ProductListParams,
    SuggestParams,
)
from storefront.catalog.review_router import router as review_router
from storefront.catalog.schemas import (
    CategoryList,
    CategoryResponse,
    ProductList,
    ProductResponse,
    SuggestionList,
)
from storefront.core.http import API_PREFIX
from storefront.core.openapi import documented
from storefront.core.reads import ReaderDep

# Tagged per route: reviews and the administrators' routes have tags of their own.
router = APIRouter(prefix=API_PREFIX)

_CACHE_HEADERS = {
    "ETag": {"description": "Send it back as If-None-Match.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "Public data, cacheable.", "schema": {"type": "string"}},
}
# Every read answers with an ETag; a client sending it back gets a bodiless 304 while it holds.
_CACHEABLE: dict[int | str, dict[str, Any]] = {
    200: {"headers": _CACHE_HEADERS},
    304: {
        "description": "Not modified: If-None-Match names the current ETag.",
        "headers": _CACHE_HEADERS,
    },
}
_IF_NONE_MATCH: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "ETags of copies the client holds (or `*`): 304 when one is current.",
            "schema": {"type": "string"},
        }
    ]
}


def _cacheable(*errors: tuple[int, str]) -> dict[str, Any]:
    """The declarations of a cacheable read: its ETag, its 304 and the errors it can give."""
    return {
        "tags": ["catalog"],
        "responses": {**_CACHEABLE, **documented(*errors)},
        "openapi_extra": _IF_NONE_MATCH,
    }


_CATEGORY_NOT_FOUND = (404, "No such category.")
_PRODUCT_NOT_FOUND = (404, "No such product, or it is no longer sold.")


def _context(reader: ReaderDep, currency: Currency) -> public.ReadContext:
    return public.ReadContext(reader, currency, parts=None)


@router.head("/categories", include_in_schema=False)
@router.get("/categories", response_model=CategoryList, **_cacheable(_CATEGORY_NOT_FOUND))
async def list_categories(
    request: Request,
    reader: ReaderDep,
    currency: Currency,
    params: Annotated[CategoryListParams, Query()],
) -> Response:
    payload = await public.category_list(_context(reader, currency), params)
    return cacheable_json(request, payload)


@router.head("/categories/{category_id}", include_in_schema=False)
@router.get(
    "/categories/{category_id}", response_model=CategoryResponse, **_cacheable(_CATEGORY_NOT_FOUND)
)
async def get_category(
    request: Request, reader: ReaderDep, currency: Currency, category_id: CategoryId
) -> Response:
    payload = await public.category_detail(_context(reader, currency), category_id)
    return cacheable_json(request, payload)


@router.head("/products", include_in_schema=False)
@router.get("/products", response_model=ProductList, **_cacheable())
async def list_products(
    request: Request,
    reader: ReaderDep,
    currency: Currency,
    params: Annotated[ProductListParams, Query()],
) -> Response:
    payload = await public.product_list(_context(reader, currency), params)
    return cacheable_json(request, payload)


@router.head("/products/suggest", include_in_schema=False)
@router.get("/products/suggest", response_model=SuggestionList, **_cacheable())
async def suggest_products(
    request: Request,
    reader: ReaderDep,
    currency: Currency,
    params: Annotated[SuggestParams, Query()],
) -> Response:
    payload = await public.product_suggestions(_context(reader, currency), params)
    return cacheable_json(request, payload)


@router.head("/products/{product_id}", include_in_schema=False)
@router.get(
    "/products/{product_id}", response_model=ProductResponse, **_cacheable(_PRODUCT_NOT_FOUND)
)
async def get_product(
    request: Request, reader: ReaderDep, currency: Currency, product_id: uuid.UUID
) -> Response:
    payload = await public.product_detail(_context(reader, currency), product_id)
    return cacheable_json(request, payload)


router.include_router(review_router)
router.include_router(admin_router)
