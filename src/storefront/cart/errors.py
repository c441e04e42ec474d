"""What the cart answers when a change cannot be made."""

from storefront.core.errors import Conflict, InvalidInput, NotFound
from storefront.core.schemas import FieldError

PRODUCT_NOT_FOUND = "Product not found."
ITEM_NOT_FOUND = "Cart item not found."
NO_LONGER_SOLD = "This product is no longer sold; remove it from the cart."


class ProductNotFound(NotFound):
    default_message = PRODUCT_NOT_FOUND


class ItemNotFound(NotFound):
    default_message = ITEM_NOT_FOUND


class QuantityUnavailable(Conflict):
    """More than the stock: the body also carries `available`."""

    def __init__(self, available: int, in_cart: int = 0, message: str | None = None) -> None:
        if message is None:
            message = f"Only {available} available."
            if in_cart:
                message = f"Only {available} available; your cart already holds {in_cart}."
        super().__init__(
            message,
            errors=[FieldError(field="quantity", message=message)],
            details={"available": available},
        )


class LineFull(Conflict):
    def __init__(self, max_quantity: int, in_cart: int) -> None:
        message = f"A cart line holds at most {max_quantity}; this one already holds {in_cart}."
        super().__init__(message, errors=[FieldError(field="quantity", message=message)])


class CartFull(Conflict):
    def __init__(self, max_lines: int) -> None:
        super().__init__(
            f"A cart holds at most {max_lines} different products. Remove one to add another."
        )


def check_quantity(quantity: int, max_quantity: int) -> None:
    """The request's quantity (already a positive integer) within the per-line maximum."""
    if quantity > max_quantity:
        message = f"Must be between 1 and {max_quantity}."
        raise InvalidInput(errors=[FieldError(field="quantity", message=message)])
