"""The payments module's tables: attempts to pay an order, refunds of captured attempts, and
the gateway notifications already received (each handled once)."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped


class AttemptStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    CAPTURED = "captured"  # the order's payment
    FAILED = "failed"
    # Captured at the gateway but not taken by the order (already paid by another attempt,
    # cancelled, or expired with its stock gone): refunded in full automatically.
    RETURNED = "returned"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentAttempt(Timestamped, Base):
    __tablename__ = "payment_attempts"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        # The last guard for refunds: never more than was captured, in total.
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_capture"
        ),
        # An order takes at most one payment, whatever races the code loses.
        Index(
            "uq_payment_attempts_one_capture_per_order",
            "order_id",
            unique=True,
            postgresql_where=text("status = 'captured'"),
        ),
        Index("ix_payment_attempts_order_created", "order_id", "created_at"),
        # The reconciler's queue: unsettled attempts, the least recently asked about first.
        Index(
            "ix_payment_attempts_unsettled",
            "checked_at",
            "created_at",
            postgresql_where=text("status IN ('created', 'pending')"),
        ),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.order_id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id"))
    gateway: Mapped[str] = mapped_column(String(16))
    gateway_order_id: Mapped[str] = mapped_column(String(100), unique=True)
    gateway_payment_id: Mapped[str | None] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[AttemptStatus] = mapped_column(String(16), default=AttemptStatus.CREATED)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the reconciler last asked the gateway about it (None: never).
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentRefund(Timestamped, Base):
    __tablename__ = "payment_refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    refund_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payment_attempts.payment_id"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[RefundStatus] = mapped_column(String(16), default=RefundStatus.PENDING)
    gateway_refund_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    reason: Mapped[str] = mapped_column(String(200))


class PaymentWebhookEvent(Base):
    """Gateway events already received: the primary key makes a redelivery a no-op."""

    __tablename__ = "payment_webhook_events"

    gateway: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


attempts_table = cast(Table, PaymentAttempt.__table__)
