"""Request and response bodies of the payments routes."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from storefront.core.money import Money, from_minor_units
from storefront.core.schemas import PositiveMoney, RequestSchema, Schema, SuccessResponse, Text
from storefront.payments.models import AttemptStatus, PaymentAttempt, RefundStatus

_GatewayId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")]
# The gateways' ids as the document states them (where they are only looked up).
GATEWAY_ID_PATTERN = r"^[A-Za-z0-9_\-]{1,100}$"


class Payment(Schema):
    payment_id: uuid.UUID
    order_id: uuid.UUID
    status: AttemptStatus
    gateway: str
    gateway_order_id: str
    gateway_payment_id: str | None
    amount: Money
    amount_minor: int
    currency: str
    refunded_amount: Money
    failure_reason: str | None
    captured_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, attempt: PaymentAttempt) -> "Payment":
        return cls(
            payment_id=attempt.payment_id,
            order_id=attempt.order_id,
            status=attempt.status,
            gateway=attempt.gateway,
            gateway_order_id=attempt.gateway_order_id,
            gateway_payment_id=attempt.gateway_payment_id,
            amount=from_minor_units(attempt.amount_minor, attempt.currency),
            amount_minor=attempt.amount_minor,
            currency=attempt.currency,
            refunded_amount=from_minor_units(attempt.refunded_minor, attempt.currency),
            failure_reason=attempt.failure_reason,
            captured_at=attempt.captured_at,
            created_at=attempt.created_at,
        )


class StartedPayment(Payment):
    client: dict[str, str] = Field(
        description="What the browser or app needs to pay at the gateway (no secret of ours)."
    )


class PaymentResponse(SuccessResponse):
    payment: Payment


class StartedPaymentResponse(SuccessResponse):
    payment: StartedPayment


class PaymentList(SuccessResponse):
    payments: list[Payment]


class PaymentConfirmation(RequestSchema):
    """Razorpay-style (and the sandbox's): what the gateway's checkout handed the client.
    Stripe: an empty body (the PaymentIntent's own status is what counts)."""

    gateway_payment_id: _GatewayId | None = None
    signature: Annotated[str, Text(min_length=1, max_length=256)] | None = None


class RefundCreate(RequestSchema):
    amount: PositiveMoney
    reason: Annotated[str, Text(min_length=1, max_length=200)]


class Refund(Schema):
    refund_id: uuid.UUID
    payment_id: uuid.UUID
    amount: Money
    currency: str
    status: RefundStatus
    reason: str


class RefundResponse(SuccessResponse):
    refund: Refund


class SandboxPay(RequestSchema):
    outcome: Literal["success", "failure", "pending"] | None = None


class SandboxPaid(SuccessResponse):
    gateway_payment_id: str
    signature: str
    outcome: str


class WebhookAccepted(SuccessResponse):
    received: bool = Field(description="False for a duplicate or an event type we ignore.")
