"""Razorpay: the Orders API for payments, Checkout's signed confirmation, and webhooks signed
over the raw body (https://razorpay.com/docs/api/)."""

import json
from collections.abc import Mapping, Sequence
from typing import Literal

import httpx
from pydantic import ValidationError

from storefront.payments.gateways.base import (
    GatewayOrder,
    GatewayRefund,
    GatewayRejected,
    GatewayStatus,
    InvalidSignature,
    PaymentState,
    RefundState,
    WebhookEvent,
)
from storefront.payments.gateways.signatures import (
    check_idempotency_key,
    header,
    verified_checkout_payment,
    verify_plain,
)
from storefront.payments.gateways.transport import GatewayClient, GatewayModel

_WEBHOOK_EVENTS = frozenset({"payment.captured", "payment.failed", "order.paid"})
_REFUND_STATES: dict[str, RefundState] = {
    "processed": "succeeded",
    "pending": "pending",
    "failed": "failed",
}


class _Order(GatewayModel):
    id: str
    amount: int
    currency: str


class _Orders(GatewayModel):
    items: list[_Order]


class _Payment(GatewayModel):
    id: str
    order_id: str | None = None
    amount: int
    currency: str
    status: str  # created, authorized, captured, refunded or failed
    created_at: int = 0


class _Payments(GatewayModel):
    items: list[_Payment]


class _Refund(GatewayModel):
    id: str
    amount: int
    status: str


class _PaymentEntity(GatewayModel):
    entity: _Payment


class _OrderEntity(GatewayModel):
    entity: _Order


class _WebhookPayload(GatewayModel):
    payment: _PaymentEntity
    order: _OrderEntity | None = None


class _Webhook(GatewayModel):
    event: str
    payload: _WebhookPayload


def _payment_state(payment: _Payment) -> PaymentState:
    if payment.status in {"captured", "refunded"}:  # a refund is tracked apart from the capture
        return "captured"
    if payment.status == "failed":
        return "failed"
    return "pending"


def _status(payment: _Payment) -> GatewayStatus:
    return GatewayStatus(
        status=_payment_state(payment),
        amount_minor=payment.amount,
        currency=payment.currency.upper(),
        gateway_payment_id=payment.id,
    )


class RazorpayGateway:
    name: Literal["razorpay"] = "razorpay"

    def __init__(
        self,
        *,
        key_id: str,
        key_secret: str,
        webhook_secrets: Sequence[str],
        api_base: str = "https://api.razorpay.com",
        timeout_seconds: float = 10.0,
    ) -> None:
        """webhook_secrets: the current secret first, then the previous one during a rotation."""
        self._key_id = key_id
        self._key_secret = key_secret
        self._webhook_secrets = [s for s in webhook_secrets if s]
        self._api = GatewayClient(
            "Razorpay",
            base_url=api_base,
            timeout_seconds=timeout_seconds,
            auth=httpx.BasicAuth(key_id, key_secret),
        )

    async def create_order(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> GatewayOrder:
        # The Orders API takes no idempotency key; our key is the order's receipt instead, and a
        # retry finds the order that an earlier, unanswered attempt may have created.
        check_idempotency_key(idempotency_key)
        found = await self._api.call(
            _Orders, "GET", "/v1/orders", params={"receipt": idempotency_key, "count": 1}
        )
        if found.items:
            order = found.items[0]
            if (order.amount, order.currency.upper()) != (amount_minor, currency.upper()):
                raise GatewayRejected(
                    "An order with this receipt exists for another amount or currency.",
                    code="IDEMPOTENCY_KEY_REUSED",
                )
        else:
            order = await self._api.call(
                _Order,
                "POST",
                "/v1/orders",
                json={
                    "amount": amount_minor,
                    "currency": currency.upper(),
                    "receipt": idempotency_key,
                    "notes": {"reference": reference},
                },
            )
        return GatewayOrder(
            gateway_order_id=order.id,
            amount_minor=order.amount,
            currency=order.currency.upper(),
            client={"key_id": self._key_id, "order_id": order.id},
        )

    async def confirm(
        self, *, gateway_order_id: str, confirmation: Mapping[str, str]
    ) -> GatewayStatus:
        payment_id = verified_checkout_payment(confirmation, gateway_order_id, self._key_secret)
        payment = await self._api.call(_Payment, "GET", f"/v1/payments/{payment_id}")
        if payment.order_id != gateway_order_id:
            raise GatewayRejected("The payment belongs to another order.")
        return _status(await self._captured_if_authorized(payment))

    async def fetch(self, gateway_order_id: str) -> GatewayStatus:
        payments = await self._api.call(_Payments, "GET", f"/v1/orders/{gateway_order_id}/payments")
        if not payments.items:
            order = await self._api.call(_Order, "GET", f"/v1/orders/{gateway_order_id}")
            return GatewayStatus("pending", order.amount, order.currency.upper(), None)
        return _status(await self._captured_if_authorized(_decisive(payments.items)))

    async def refund(
        self, *, gateway_payment_id: str, amount_minor: int, idempotency_key: str
    ) -> GatewayRefund:
        check_idempotency_key(idempotency_key)
        refund = await self._api.call(
            _Refund,
            "POST",
            f"/v1/payments/{gateway_payment_id}/refund",
            json={"amount": amount_minor},
            headers={"X-Refund-Idempotency": idempotency_key},
        )
        return GatewayRefund(
            gateway_refund_id=refund.id,
            status=_REFUND_STATES.get(refund.status, "pending"),
            amount_minor=refund.amount,
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent | None:
        verify_plain(header(headers, "X-Razorpay-Signature"), body, self._webhook_secrets)
        event_id = header(headers, "X-Razorpay-Event-Id")
        if not event_id:
            raise InvalidSignature("The webhook has no X-Razorpay-Event-Id.")
        try:
            event_type = json.loads(body).get("event")
            if event_type not in _WEBHOOK_EVENTS:
                return None
            payload = _Webhook.model_validate_json(body).payload
        except (ValueError, AttributeError, ValidationError):
            raise InvalidSignature("The webhook body is not a Razorpay event.") from None
        payment = payload.payment.entity
        order_id = payload.order.entity.id if payload.order else payment.order_id
        if not order_id:
            raise InvalidSignature("The webhook's payment belongs to no order.")
        return WebhookEvent(
            event_id=event_id,
            event_type=event_type,
            gateway_order_id=order_id,
            gateway_payment_id=payment.id,
            status=_payment_state(payment),
            amount_minor=payment.amount,
            currency=payment.currency.upper(),
        )

    async def _captured_if_authorized(self, payment: _Payment) -> _Payment:
        """An authorised payment is only a hold; capture it for its own amount. If it was
        captured meanwhile (auto-capture), Razorpay refuses, and the payment says so."""
        if payment.status != "authorized":
            return payment
        try:
            return await self._api.call(
                _Payment,
                "POST",
                f"/v1/payments/{payment.id}/capture",
                json={"amount": payment.amount, "currency": payment.currency},
            )
        except GatewayRejected:
            payment = await self._api.call(_Payment, "GET", f"/v1/payments/{payment.id}")
            if payment.status == "authorized":
                raise
            return payment

    async def aclose(self) -> None:
        await self._api.aclose()


def _decisive(payments: list[_Payment]) -> _Payment:
    """The payment that decides an order: a captured (or authorised) one, else one in
    progress, else the latest failure."""
    newest_first = sorted(payments, key=lambda payment: payment.created_at, reverse=True)
    for wanted in ({"captured", "refunded"}, {"authorized"}, {"created"}):
        for payment in newest_first:
            if payment.status in wanted:
                return payment
    return newest_first[0]
