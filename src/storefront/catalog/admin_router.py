"""Administrators change the catalog. Each write commits, then bumps the cache generation."""

import uuid

from fastapi import APIRouter, Request

from storefront.auth.dependencies import AdminUser
from storefront.catalog import categories, products
from storefront.catalog.admin_schemas import (
    CategoryCreate,
    CategoryUpdate,
    ProductCreate,
    ProductUpdate,
)
from storefront.catalog.cache import invalidate_catalog
from storefront.catalog.params import Currency
from storefront.catalog.schemas import CategoryResponse, ProductResponse
from storefront.core.database import unit_of_work

router = APIRouter(
    prefix="/admin",
    tags=["catalog admin"],
    responses={
        401: {"description": "No valid token."},
        403: {"description": "Not an administrator."},
        404: {"description": "Not found."},
    },
)


@router.post("/categories", status_code=201)
async def create_category(request: Request, _: AdminUser, data: CategoryCreate) -> CategoryResponse:
    async with unit_of_work(request.app.state.sessions) as session:
        category = await categories.create_category(
            session, data.category_id, data.name, data.parent_id
        )
    await invalidate_catalog(request)
    return CategoryResponse(category=category)


@router.patch("/categories/{category_id}")
async def update_category(
    request: Request, _: AdminUser, category_id: str, data: CategoryUpdate
) -> CategoryResponse:
    async with unit_of_work(request.app.state.sessions) as session:
        category = await categories.update_category(
            session, category_id, data.model_dump(exclude_unset=True)
        )
    await invalidate_catalog(request)
    return CategoryResponse(category=category)


@router.post("/products", status_code=201)
async def create_product(
    request: Request, _: AdminUser, data: ProductCreate, currency: Currency
) -> ProductResponse:
    async with unit_of_work(request.app.state.sessions) as session:
        product = await products.create_product(session, data, currency)
    await invalidate_catalog(request)
    return ProductResponse(product=product)


@router.patch("/products/{product_id}")
async def update_product(
    request: Request, _: AdminUser, product_id: uuid.UUID, data: ProductUpdate, currency: Currency
) -> ProductResponse:
    changes = data.model_dump(exclude_unset=True)
    async with unit_of_work(request.app.state.sessions) as session:
        product = await products.update_product(session, product_id, changes, currency)
    await invalidate_catalog(request)
    return ProductResponse(product=product)


@router.delete("/products/{product_id}")
async def deactivate_product(
    request: Request, _: AdminUser, product_id: uuid.UUID, currency: Currency
) -> ProductResponse:
    """Deactivate: the product leaves the catalog; orders and reviews keep referring to it."""
    async with unit_of_work(request.app.state.sessions) as session:
        product = await products.deactivate_product(session, product_id, currency)
    await invalidate_catalog(request)
    return ProductResponse(product=product)
