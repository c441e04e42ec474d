"""The cart's tables: one cart per user, or per guest (found by the hash of its token), and its
lines, one per product."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    CHAR,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped


class Cart(Timestamped, Base):
    __tablename__ = "carts"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (token_hash IS NULL)", name="one_owner"),
        # Guest carts expire; a user's cart does not.
        CheckConstraint("(token_hash IS NULL) = (expires_at IS NULL)", name="guests_expire"),
        Index("ix_carts_expires_at", "expires_at", postgresql_where=text("expires_at IS NOT NULL")),
    )

    cart_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), unique=True
    )
    # SHA-256 (hex) of the guest's cart token: the token itself is never stored.
    token_hash: Mapped[str | None] = mapped_column(CHAR(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CartItem(Timestamped, Base):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id", name="uq_cart_items_cart_id_product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    cart_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carts.cart_id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.product_id"))
    quantity: Mapped[int] = mapped_column(Integer)
    # The unit price the buyer saw when adding: a later change is shown as price_changed.
    added_unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(CHAR(3))


carts_table = cast(Table, Cart.__table__)
cart_items_table = cast(Table, CartItem.__table__)
