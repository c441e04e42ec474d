"""The cart module's façade: what other modules use of carts (auth merges a guest's cart at
login; orders check a user's cart out)."""

from storefront.cart.checkout import (
    CheckoutLine,
    accept_current_prices,
    clear_cart,
    lines_for_checkout,
)
from storefront.cart.merge import merge_guest_cart

__all__ = [
    "CheckoutLine",
    "accept_current_prices",
    "clear_cart",
    "lines_for_checkout",
    "merge_guest_cart",
]
