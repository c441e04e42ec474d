"""Administrators change the catalog. Each write moves the cache generation on after its commit."""

import uuid

from fastapi import APIRouter

from storefront.auth.service import AdminUser
from storefront.catalog import categories, products
from storefront.catalog.admin_schemas import (
    CategoryCreate,
    CategoryUpdate,
    ProductCreate,
    ProductUpdate,
)
from storefront.catalog.params import CategoryId, Currency
from storefront.catalog.schemas import CategoryResponse, ProductResponse
from storefront.core.database import SessionDep
from storefront.core.openapi import FORBIDDEN, UNAUTHORIZED, admin_operation_id, documented

router = APIRouter(
    prefix="/admin",
    tags=["catalog admin"],
    responses=documented(UNAUTHORIZED, FORBIDDEN),
    generate_unique_id_function=admin_operation_id,
)
_NOT_FOUND = (404, "Not found.")


@router.post(
    "/categories",
    status_code=201,
    responses=documented((409, "A category with this id already exists.")),
)
async def create_category(
    session: SessionDep, _: AdminUser, data: CategoryCreate
) -> CategoryResponse:
    category = await categories.create_category(
        session, data.category_id, data.name, data.parent_id
    )
    return CategoryResponse(category=category)


@router.patch("/categories/{category_id}", responses=documented(_NOT_FOUND))
async def update_category(
    session: SessionDep, _: AdminUser, category_id: CategoryId, data: CategoryUpdate
) -> CategoryResponse:
    category = await categories.update_category(
        session, category_id, data.model_dump(exclude_unset=True)
    )
    return CategoryResponse(category=category)


@router.post("/products", status_code=201)
async def create_product(
    session: SessionDep, _: AdminUser, data: ProductCreate, currency: Currency
) -> ProductResponse:
    product = await products.create_product(session, data, currency)
    return ProductResponse(product=product)


@router.patch("/products/{product_id}", responses=documented(_NOT_FOUND))
async def update_product(
    session: SessionDep,
    _: AdminUser,
    product_id: uuid.UUID,
    data: ProductUpdate,
    currency: Currency,
) -> ProductResponse:
    changes = data.model_dump(exclude_unset=True)
    product = await products.update_product(session, product_id, changes, currency)
    return ProductResponse(product=product)


@router.delete("/products/{product_id}", responses=documented(_NOT_FOUND))
async def deactivate_product(
    session: SessionDep, _: AdminUser, product_id: uuid.UUID, currency: Currency
) -> ProductResponse:
    """Deactivate: the product leaves the catalog; orders and reviews keep referring to it."""
    product = await products.deactivate_product(session, product_id, currency)
    return ProductResponse(product=product)
