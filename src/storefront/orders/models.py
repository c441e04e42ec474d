"""The orders module's tables: orders, the lines copied onto them at checkout, and the timeline
of every status change."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class ActorType(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SYSTEM = "system"
    PAYMENT = "payment"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Order(Timestamped, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_one_of("status", OrderStatus), name="status_known"),
        CheckConstraint(_one_of("payment_status", PaymentStatus), name="payment_status_known"),
        CheckConstraint("subtotal >= 0 AND discount >= 0", name="amounts_not_negative"),
        CheckConstraint("total = subtotal - discount", name="total_is_subtotal_less_discount"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_orders_user_newest", "user_id", text("created_at DESC")),
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        Index("ix_orders_created_at", "created_at"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id"))
    status: Mapped[OrderStatus] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSONB)
    payment_status: Mapped[PaymentStatus] = mapped_column(
        String(20), server_default=PaymentStatus.UNPAID.value
    )
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_order_lines_order_id_product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND line_total = unit_price * quantity", name="amounts"),
    )

    line_id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, server_default=func.gen_random_uuid()
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.order_id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.product_id"))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quantity: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class TimelineEntry(Base):
    __tablename__ = "order_timeline"
    __table_args__ = (
        CheckConstraint(_one_of("actor_type", ActorType), name="actor_type_known"),
        Index("ix_order_timeline_order_id_at", "order_id", "at"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, server_default=func.gen_random_uuid()
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.order_id", ondelete="CASCADE"))
    from_status: Mapped[OrderStatus | None] = mapped_column(String(20))
    to_status: Mapped[OrderStatus] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_type: Mapped[ActorType] = mapped_column(String(10))
    # The user or administrator, or the payment, that made the change; none for the system.
    actor_id: Mapped[uuid.UUID | None]
    note: Mapped[str | None] = mapped_column(Text)


# Core views of the tables, for the statements the services build.
orders_table = cast(Table, Order.__table__)
order_lines_table = cast(Table, OrderLine.__table__)
timeline_table = cast(Table, TimelineEntry.__table__)
