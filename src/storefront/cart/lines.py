"""Reading and changing a cart's lines. Adding never reserves stock: the stock checks here say
what can be bought now, and checkout takes the stock."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cart.errors import (
    NO_LONGER_SOLD,
    CartFull,
    ItemNotFound,
    LineFull,
    ProductNotFound,
    QuantityUnavailable,
    check_quantity,
)
from storefront.cart.merge import settle_shopper
from storefront.cart.models import cart_items_table as items
from storefront.cart.models import carts_table as carts
from storefront.cart.owners import (
    LIVE_GUEST_CART,
    Shopper,
    lock_cart,
    lock_or_create_cart,
    token_hash,
)
from storefront.cart.pricing import CartView, StoredLine, empty_cart, price_cart
from storefront.catalog.service import ProductSnapshot, product_snapshots
from storefront.core.config import Settings

_LINE_COLUMNS = (items.c.item_id, items.c.product_id, items.c.quantity, items.c.added_unit_price)
# In the order they were added.
_LINE_ORDER = (items.c.created_at, items.c.item_id)

LINES = select(*_LINE_COLUMNS).where(items.c.cart_id == bindparam("cart_id")).order_by(*_LINE_ORDER)


_CART_WITH_LINES = select(carts.c.cart_id, *_LINE_COLUMNS).select_from(
    carts.outerjoin(items, items.c.cart_id == carts.c.cart_id)
)
_USER_CART = _CART_WITH_LINES.where(carts.c.user_id == bindparam("owner")).order_by(*_LINE_ORDER)
_GUEST_CART = _CART_WITH_LINES.where(LIVE_GUEST_CART).order_by(*_LINE_ORDER)

_insert_line = insert(items).values(
    item_id=bindparam("new_item_id"),
    cart_id=bindparam("in_cart"),
    product_id=bindparam("product"),
    quantity=bindparam("added"),
    added_unit_price=bindparam("unit_price"),
    currency=bindparam("in_currency"),
)
# Two adds of one product at once make one line holding both quantities. Adding again at a new
# price takes that price as the one the buyer agreed to.
_ADD_TO_LINE = _insert_line.on_conflict_do_update(
    constraint="uq_cart_items_cart_id_product_id",
    set_={
        "quantity": items.c.quantity + _insert_line.excluded.quantity,
        "added_unit_price": _insert_line.excluded.added_unit_price,
        "updated_at": func.now(),
    },
    where=items.c.quantity + _insert_line.excluded.quantity <= bindparam("limit"),
).returning(items.c.item_id, items.c.quantity)
_SET_QUANTITY = (
    update(items)
    .where(items.c.item_id == bindparam("item"))
    .values(quantity=bindparam("new_quantity"), updated_at=func.now())
)
_DELETE_LINE = delete(items).where(items.c.item_id == bindparam("item"))
_DELETE_LINES = delete(items).where(items.c.cart_id == bindparam("cart_id"))


@dataclass(frozen=True)
class AddedItem:
    cart: CartView
    # A new line (rather than more of one already in the cart).
    line_created: bool


def _guest_ttl(settings: Settings) -> timedelta:
    return timedelta(days=settings.guest_cart_ttl_days)


async def read_lines(session: AsyncSession, cart_id: uuid.UUID) -> list[StoredLine]:
    rows = await session.execute(LINES, {"cart_id": cart_id})
    return [StoredLine(*row) for row in rows]


async def _priced(
    session: AsyncSession,
    settings: Settings,
    cart_id: uuid.UUID,
    lines: Sequence[StoredLine],
) -> CartView:
    if not lines:
        return empty_cart(cart_id, settings.currency)
    products = await product_snapshots(
        session, (line.product_id for line in lines), settings.currency
    )
    return price_cart(cart_id, lines, products, settings.currency)


async def get_cart(session: AsyncSession, settings: Settings, shopper: Shopper) -> CartView:
    """The shopper's cart; an empty one (cart_id null, nothing written) when there is none."""
    shopper = await settle_shopper(session, settings, shopper)
    if shopper.user_id is not None:
        rows = (await session.execute(_USER_CART, {"owner": shopper.user_id})).all()
    elif shopper.cart_token is not None:
        values = {"owner": token_hash(shopper.cart_token)}
        rows = (await session.execute(_GUEST_CART, values)).all()
    else:
        rows = []
    if not rows:
        return empty_cart(None, settings.currency)
    lines = [StoredLine(*row[1:]) for row in rows if row.item_id is not None]
    return await _priced(session, settings, rows[0].cart_id, lines)


async def add_item(
    session: AsyncSession,
    settings: Settings,
    shopper: Shopper,
    product_id: uuid.UUID,
    quantity: int,
) -> AddedItem:
    """Add `quantity` of a product, to its line when the cart has one. A guest without a
    (live) cart gets a new one, its token in the returned view."""
    max_quantity = settings.cart_max_line_quantity
    check_quantity(quantity, max_quantity)
    shopper = await settle_shopper(session, settings, shopper)
    cart = await lock_or_create_cart(session, shopper, _guest_ttl(settings))
    lines = [] if cart.created else await read_lines(session, cart.cart_id)
    products = await product_snapshots(
        session, [*(line.product_id for line in lines), product_id], settings.currency
    )
    product = products.get(product_id)
    if product is None or not product.active:
        raise ProductNotFound()
    existing = next((line for line in lines if line.product_id == product_id), None)
    in_cart = existing.quantity if existing else 0
    if existing is None and len(lines) >= settings.cart_max_lines:
        raise CartFull(settings.cart_max_lines)
    if in_cart + quantity > max_quantity:
        raise LineFull(max_quantity, in_cart)
    if in_cart + quantity > product.stock:
        raise QuantityUnavailable(product.stock, in_cart)
    line = await _add_to_line(
        session, settings, cart.cart_id, product, quantity=quantity, in_cart=in_cart
    )
    if existing is None:
        lines.append(line)
    else:
        lines = [line if other.item_id == line.item_id else other for other in lines]
    view = price_cart(cart.cart_id, lines, products, settings.currency)
    return AddedItem(replace(view, cart_token=cart.new_token), line_created=existing is None)


async def _add_to_line(
    session: AsyncSession,
    settings: Settings,
    cart_id: uuid.UUID,
    product: ProductSnapshot,
    *,
    quantity: int,
    in_cart: int,
) -> StoredLine:
    values = {
        "new_item_id": uuid.uuid4(),
        "in_cart": cart_id,
        "product": product.product_id,
        "added": quantity,
        "unit_price": product.unit_price,
        "in_currency": settings.currency,
        "limit": min(settings.cart_max_line_quantity, product.stock),
    }
    row = (await session.execute(_ADD_TO_LINE, values)).first()
    # Under the cart's lock the checks before hold; the upsert's own limit keeps it safe alone.
    if row is None:
        raise QuantityUnavailable(product.stock, in_cart)
    return StoredLine(row.item_id, product.product_id, row.quantity, product.unit_price)


async def _locked_lines(
    session: AsyncSession, settings: Settings, shopper: Shopper, item_id: uuid.UUID
) -> tuple[uuid.UUID, list[StoredLine], StoredLine]:
    """The shopper's cart (locked), its lines, and the one with `item_id`: 404 when the
    shopper has no such line, whoever else's it is."""
    shopper = await settle_shopper(session, settings, shopper)
    cart = await lock_cart(session, shopper, _guest_ttl(settings))
    if cart is None:
        raise ItemNotFound()
    lines = await read_lines(session, cart.cart_id)
    line = next((line for line in lines if line.item_id == item_id), None)
    if line is None:
        raise ItemNotFound()
    return cart.cart_id, lines, line


async def update_item(
    session: AsyncSession,
    settings: Settings,
    shopper: Shopper,
    item_id: uuid.UUID,
    quantity: int,
) -> CartView:
    """Set a line's quantity; more than the stock is refused, fewer is always fine."""
    check_quantity(quantity, settings.cart_max_line_quantity)
    cart_id, lines, line = await _locked_lines(session, settings, shopper, item_id)
    products = await product_snapshots(
        session, (other.product_id for other in lines), settings.currency
    )
    product = products[line.product_id]
    if not product.active:
        raise QuantityUnavailable(0, message=NO_LONGER_SOLD)
    if quantity > product.stock:
        raise QuantityUnavailable(product.stock)
    await session.execute(_SET_QUANTITY, {"item": item_id, "new_quantity": quantity})
    changed = replace(line, quantity=quantity)
    lines = [changed if other is line else other for other in lines]
    return price_cart(cart_id, lines, products, settings.currency)


async def remove_item(
    session: AsyncSession, settings: Settings, shopper: Shopper, item_id: uuid.UUID
) -> CartView:
    cart_id, lines, line = await _locked_lines(session, settings, shopper, item_id)
    await session.execute(_DELETE_LINE, {"item": item_id})
    return await _priced(
        session, settings, cart_id, [other for other in lines if other is not line]
    )


async def clear(session: AsyncSession, settings: Settings, shopper: Shopper) -> CartView:
    """Remove every line; the cart itself stays (a guest keeps its token)."""
    shopper = await settle_shopper(session, settings, shopper)
    cart = await lock_cart(session, shopper, _guest_ttl(settings))
    if cart is None:
        return empty_cart(None, settings.currency)
    await session.execute(_DELETE_LINES, {"cart_id": cart.cart_id})
    return empty_cart(cart.cart_id, settings.currency)
