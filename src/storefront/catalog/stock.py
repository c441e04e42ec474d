"""What the cart and orders need of the catalog: live product snapshots, and stock reserved or
released for many lines in one statement each.

Rows are locked in product_id order, so two checkouts (or a checkout and a release) sharing
products never deadlock. A reservation is all or nothing: when any line is short nothing is
taken and every short line is reported. The CHECK constraint `stock_not_negative` is the last
guard behind the conditional update.

Stock and the catalog cache: cached catalog bodies carry `in_stock` exactly and
`stock_quantity` as it was when the entry was built. A reservation or release moves the cache
generation on (after commit) only when a product's `in_stock` flips, so ordinary sales do not
flush the cache; the cart and checkout always read stock live, here."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.cache import invalidate_after_commit
from storefront.catalog.models import products_table as products


@dataclass(frozen=True)
class ProductSnapshot:
    product_id: uuid.UUID
    name: str
    price: Decimal
    discount_price: Decimal | None
    currency: str
    stock: int
    active: bool

    @property
    def unit_price(self) -> Decimal:
        """What the buyer pays for one: the discount price when there is one."""
        return self.discount_price if self.discount_price is not None else self.price


@dataclass(frozen=True)
class ShortLine:
    product_id: uuid.UUID
    requested: int
    available: int  # 0 for a product that is unknown or no longer sold


@dataclass(frozen=True)
class Reservation:
    short: list[ShortLine]

    @property
    def reserved(self) -> bool:
        return not self.short


_SNAPSHOT = select(
    products.c.product_id,
    products.c.name,
    products.c.price,
    products.c.discount_price,
    products.c.stock_quantity,
    products.c.is_active,
).where(products.c.product_id.in_(bindparam("ids", expanding=True)))


async def product_snapshots(
    session: AsyncSession, product_ids: Iterable[uuid.UUID], currency: str
) -> dict[uuid.UUID, ProductSnapshot]:
    """The products that exist among `product_ids` (inactive ones included), in one statement."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = await session.execute(_SNAPSHOT, {"ids": ids})
    return {
        row.product_id: ProductSnapshot(
            product_id=row.product_id,
            name=row.name,
            price=row.price,
            discount_price=row.discount_price,
            currency=currency,
            stock=row.stock_quantity,
            active=row.is_active,
        )
        for row in rows
    }


def _lines_statement(sql: str) -> TextClause:
    return text(sql).bindparams(
        bindparam("ids", type_=ARRAY(UUID(as_uuid=True))),
        bindparam("quantities", type_=ARRAY(INTEGER)),
    )


# One statement: lock the lines' rows in product_id order, take the stock only if every line
# can be served by an active product, and report each line with what was there.
_RESERVE = _lines_statement(
    """
    WITH wanted AS (SELECT * FROM unnest(:ids, :quantities) AS w(product_id, quantity)),
    locked AS (
        SELECT p.product_id, p.stock_quantity, p.is_active
        FROM products AS p JOIN wanted AS w ON w.product_id = p.product_id
        ORDER BY p.product_id
        FOR NO KEY UPDATE OF p
    ),
    verdict AS (
        SELECT count(*) = (SELECT count(*) FROM wanted)
           AND coalesce(bool_and(l.is_active AND l.stock_quantity >= w.quantity), false) AS ok
        FROM locked AS l JOIN wanted AS w ON w.product_id = l.product_id
    ),
    taken AS (
        UPDATE products AS p SET stock_quantity = p.stock_quantity - w.quantity
        FROM wanted AS w, verdict
        WHERE verdict.ok AND p.product_id = w.product_id
        RETURNING p.product_id, p.stock_quantity
    )
    SELECT w.product_id, w.quantity,
           CASE WHEN l.is_active THEN l.stock_quantity ELSE 0 END AS available,
           t.stock_quantity AS remaining
    FROM wanted AS w
    LEFT JOIN locked AS l ON l.product_id = w.product_id
    LEFT JOIN taken AS t ON t.product_id = w.product_id
    ORDER BY w.product_id
    """
)

_RELEASE = _lines_statement(
    """
    WITH wanted AS (SELECT * FROM unnest(:ids, :quantities) AS w(product_id, quantity)),
    locked AS (
        SELECT p.product_id
        FROM products AS p JOIN wanted AS w ON w.product_id = p.product_id
        ORDER BY p.product_id
        FOR NO KEY UPDATE OF p
    )
    UPDATE products AS p SET stock_quantity = p.stock_quantity + w.quantity
    FROM wanted AS w, locked AS l
    WHERE p.product_id = w.product_id AND l.product_id = w.product_id
    RETURNING p.product_id, p.stock_quantity, w.quantity
    """
)


def _parameters(lines: Mapping[uuid.UUID, int]) -> dict[str, list[object]]:
    ids = sorted(lines)
    return {"ids": list(ids), "quantities": [lines[product_id] for product_id in ids]}


async def reserve_stock(session: AsyncSession, lines: Mapping[uuid.UUID, int]) -> Reservation:
    """Take `lines` (product id -> quantity, each positive) from stock, all or nothing."""
    if not lines:
        return Reservation(short=[])
    rows = (await session.execute(_RESERVE, _parameters(lines))).all()
    short = [
        ShortLine(row.product_id, row.quantity, row.available or 0)
        for row in rows
        if (row.available or 0) < row.quantity
    ]
    if not short and any(row.remaining == 0 for row in rows):
        invalidate_after_commit(session)  # a product just sold out
    return Reservation(short=short)


async def release_stock(session: AsyncSession, lines: Mapping[uuid.UUID, int]) -> None:
    """Put `lines` back into stock (an order cancelled or expired)."""
    if not lines:
        return
    rows = (await session.execute(_RELEASE, _parameters(lines))).all()
    if any(row.stock_quantity == row.quantity for row in rows):
        invalidate_after_commit(session)  # a product is back in stock
