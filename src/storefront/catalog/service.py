"""The catalog module's façade: what the cart and orders may use of products and stock."""

from storefront.catalog.cache import invalidate_after_commit
from storefront.catalog.params import Currency
from storefront.catalog.stock import (
    ProductSnapshot,
    Reservation,
    ShortLine,
    product_snapshots,
    release_stock,
    reserve_stock,
)

__all__ = [
    "Currency",
    "ProductSnapshot",
    "Reservation",
    "ShortLine",
    "invalidate_after_commit",
    "product_snapshots",
    "release_stock",
    "reserve_stock",
]
