"""The sandbox gateway's own books. It stands for an outside system: nothing of ours reads
these tables except the sandbox itself."""

from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped


class SandboxPaymentStatus(StrEnum):
    CREATED = "created"  # an order with no payment yet
    PENDING = "pending"  # paid, not yet settled
    CAPTURED = "captured"
    FAILED = "failed"  # the latest payment failed; the order may be paid again


class SandboxGatewayPayment(Timestamped, Base):
    __tablename__ = "sandbox_gateway_payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refunds_within_amount"
        ),
        CheckConstraint(
            "status IN ('created', 'pending', 'captured', 'failed')", name="status_known"
        ),
    )

    gateway_order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(40), unique=True)
    reference: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[SandboxPaymentStatus] = mapped_column(String(16))
    gateway_payment_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class SandboxGatewayRefund(Timestamped, Base):
    __tablename__ = "sandbox_gateway_refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    gateway_refund_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    gateway_order_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_gateway_payments.gateway_order_id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(40), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
