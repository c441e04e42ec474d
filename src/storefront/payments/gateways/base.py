"""What every payment gateway offers, in our terms: amounts in minor units, currencies as
upper-case ISO 4217 codes, and three errors a caller can act on."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from storefront.core.errors import AppError

PaymentState = Literal["pending", "captured", "failed"]
RefundState = Literal["pending", "succeeded", "failed"]
GatewayName = Literal["sandbox", "razorpay", "stripe"]


@dataclass(frozen=True, slots=True)
class GatewayOrder:
    """A payment started at the gateway. `client` is what a browser or app needs to pay it
    (Razorpay: key_id, order_id; Stripe: client_secret, publishable_key; sandbox: order_id);
    none of it is a secret of ours."""

    gateway_order_id: str
    amount_minor: int
    currency: str
    client: dict[str, str]


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    """What the gateway itself says about a payment (never what a client claims)."""

    status: PaymentState
    amount_minor: int
    currency: str
    gateway_payment_id: str | None


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    gateway_refund_id: str
    status: RefundState
    amount_minor: int


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified gateway notification; `event_id` is the gateway's, unique per event."""

    event_id: str
    event_type: str
    gateway_order_id: str
    gateway_payment_id: str | None
    status: PaymentState
    amount_minor: int
    currency: str


class InvalidSignature(AppError):
    """A confirmation or webhook whose signature is missing, wrong or expired, or a webhook that
    is not a well-formed event of that gateway. Nothing it claims may be acted on."""

    status_code = 400
    default_message = "Invalid signature."


class GatewayUnavailable(AppError):
    """The gateway timed out, could not be reached, answered 5xx, 409 or 429, or answered
    something unreadable: the outcome is unknown, so the caller keeps the attempt pending and
    asks again later (the reconciler's fetch)."""

    status_code = 503
    default_message = "The payment gateway is unavailable. Try again shortly."

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})"


class GatewayRejected(AppError):
    """The gateway refused the request (4xx). `gateway_message` is its own words, kept out of
    the client-facing `message` since it describes our request, not the customer's."""

    status_code = 502
    default_message = "The payment gateway refused the request."

    def __init__(
        self, gateway_message: str, *, http_status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__()
        self.gateway_message = gateway_message
        self.http_status = http_status
        self.code = code

    def __str__(self) -> str:
        status = f"HTTP {self.http_status}, " if self.http_status is not None else ""
        code = f"{self.code}: " if self.code else ""
        return f"{self.message} ({status}{code}{self.gateway_message})"


class PaymentGateway(Protocol):
    """One payment provider. Methods raise InvalidSignature, GatewayUnavailable or
    GatewayRejected; anything else is a bug."""

    @property
    def name(self) -> GatewayName:
        """Which gateway this is (the webhook route's path names it)."""

    async def create_order(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> GatewayOrder:
        """Start a payment. The same idempotency_key (at most 40 characters, letters, digits,
        '-' and '_') returns the same gateway order instead of a second one."""

    async def confirm(
        self, *, gateway_order_id: str, confirmation: Mapping[str, str]
    ) -> GatewayStatus:
        """Verify what the client sent after paying, against the gateway order id WE stored,
        and return the status the gateway reports (capturing an authorised payment)."""

    async def fetch(self, gateway_order_id: str) -> GatewayStatus:
        """The gateway's current view of a payment, for a reconciler."""

    async def refund(
        self, *, gateway_payment_id: str, amount_minor: int, idempotency_key: str
    ) -> GatewayRefund:
        """Refund part or all of a captured payment; the same key never refunds twice."""

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent | None:
        """Verify a webhook's signature over the raw body; None for event types we ignore."""

    async def aclose(self) -> None: ...
