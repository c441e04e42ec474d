"""One product: the public detail and the administrator's create, change and deactivate."""

import re
import unicodedata
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.admin_schemas import ProductCreate
from storefront.catalog.cache import invalidate_after_commit
from storefront.catalog.categories import category_exists
from storefront.catalog.listing import discount_percent
from storefront.catalog.models import products_table as products
from storefront.catalog.schemas import Product as ProductOut
from storefront.core.errors import InvalidInput, NotFound
from storefront.core.reads import Reader, SessionReader
from storefront.core.schemas import FieldError

PRODUCT_NOT_FOUND = "Product not found."
_DETAIL_COLUMNS = [column for column in products.c if column.key != "search_vector"]


def _detail(values: Mapping[Any, Any], currency: str) -> ProductOut:
    """The row's columns (those the schema does not name are ignored) and the computed fields."""
    rating_avg = values["rating_avg"]
    return ProductOut.model_validate(
        {
            **values,
            "currency": currency,
            "discount_percent": discount_percent(values["price"], values["discount_price"]),
            "in_stock": values["stock_quantity"] > 0,
            "rating_avg": None if rating_avg is None else float(rating_avg),
        }
    )


# Templates run with each product id (core/reads.py); the public sees active products only.
_PRODUCT = select(*_DETAIL_COLUMNS).where(
    products.c.product_id == bindparam("product_id", type_=products.c.product_id.type)
)
ACTIVE_PRODUCT = _PRODUCT.where(products.c.is_active)


async def get_product(reader: Reader, product_id: uuid.UUID, currency: str) -> ProductOut:
    """An active product; an inactive one is as unknown to the public as a missing one."""
    row = await reader.first(ACTIVE_PRODUCT, {"product_id": product_id})
    if row is None:
        raise NotFound(PRODUCT_NOT_FOUND)
    return _detail(row, currency)


def slugify(name: str, product_id: uuid.UUID) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:200]
    return f"{words}-{product_id.hex[:8]}" if words else product_id.hex


async def _check_references(
    session: AsyncSession, category_id: str | None, price: Decimal, discount: Decimal | None
) -> None:
    errors = []
    if discount is not None and discount >= price:
        errors.append(
            FieldError(field="discount_price", message="Discount price must be below the price.")
        )
    if category_id is not None and not await category_exists(session, category_id):
        errors.append(FieldError(field="category_id", message="Category does not exist."))
    if errors:
        raise InvalidInput(errors=errors)


async def create_product(session: AsyncSession, data: ProductCreate, currency: str) -> ProductOut:
    invalidate_after_commit(session)
    await _check_references(session, data.category_id, data.price, data.discount_price)
    product_id = uuid.uuid4()
    values = data.model_dump() | {
        "product_id": product_id,
        "slug": slugify(data.name, product_id),
    }
    inserted = await session.execute(insert(products).values(values).returning(*_DETAIL_COLUMNS))
    return _detail(inserted.one()._mapping, currency)


async def update_product(
    session: AsyncSession, product_id: uuid.UUID, changes: dict[str, Any], currency: str
) -> ProductOut:
    invalidate_after_commit(session)
    current = (
        await session.execute(
            select(products.c.price, products.c.discount_price)
            .where(products.c.product_id == product_id)
            .with_for_update()
        )
    ).first()
    if current is None:
        raise NotFound(PRODUCT_NOT_FOUND)
    price = changes.get("price", current.price)
    discount = changes.get("discount_price", current.discount_price)
    await _check_references(session, changes.get("category_id"), price, discount)
    return await _apply(session, product_id, changes, currency)


async def deactivate_product(
    session: AsyncSession, product_id: uuid.UUID, currency: str
) -> ProductOut:
    invalidate_after_commit(session)
    return await _apply(session, product_id, {"is_active": False}, currency)


async def _apply(
    session: AsyncSession, product_id: uuid.UUID, changes: dict[str, Any], currency: str
) -> ProductOut:
    if not changes:
        row = await SessionReader(session).first(_PRODUCT, {"product_id": product_id})
    else:
        row = (
            (
                await session.execute(
                    update(products)
                    .where(products.c.product_id == product_id)
                    .values(changes)
                    .returning(*_DETAIL_COLUMNS)
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(PRODUCT_NOT_FOUND)
    return _detail(row, currency)
