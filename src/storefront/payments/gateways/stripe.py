"""Stripe: PaymentIntents (form-encoded API, Idempotency-Key header) and webhooks signed with
a timestamp (https://docs.stripe.com/api, https://docs.stripe.com/webhooks#verify-manually)."""

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError

from storefront.payments.gateways.base import (
    GatewayOrder,
    GatewayRefund,
    GatewayStatus,
    InvalidSignature,
    PaymentState,
    RefundState,
    WebhookEvent,
)
from storefront.payments.gateways.signatures import (
    check_idempotency_key,
    header,
    verify_timestamped,
)
from storefront.payments.gateways.transport import GatewayClient, GatewayModel

# Pinned so that the objects we read keep their shape whatever the account's default version.
API_VERSION = "2024-06-20"
WEBHOOK_TOLERANCE_SECONDS = 300
_WEBHOOK_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
    }
)
_REFUND_STATES: dict[str, RefundState] = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}


class _PaymentIntent(GatewayModel):
    id: str
    amount: int
    currency: str
    status: str
    last_payment_error: dict[str, Any] | None = None


class _NewPaymentIntent(_PaymentIntent):
    client_secret: str


class _Refund(GatewayModel):
    id: str
    amount: int
    status: str


class _EventData(GatewayModel):
    object: _PaymentIntent


class _Event(GatewayModel):
    id: str
    type: str
    data: _EventData


def _payment_state(intent: _PaymentIntent) -> PaymentState:
    if intent.status == "succeeded":
        return "captured"
    if intent.status == "canceled":
        return "failed"
    if intent.status == "requires_payment_method" and intent.last_payment_error:
        return "failed"  # an attempt was declined; a new payment method may still succeed
    return "pending"  # requires_payment_method (no attempt yet), _confirmation, _action, ...


def _status(intent: _PaymentIntent) -> GatewayStatus:
    state = _payment_state(intent)
    return GatewayStatus(
        status=state,
        amount_minor=intent.amount,
        currency=intent.currency.upper(),
        # Refunds name the PaymentIntent, so it stands for the payment once there is one.
        gateway_payment_id=None if state == "pending" else intent.id,
    )


class StripeGateway:
    name: Literal["stripe"] = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        publishable_key: str,
        webhook_secrets: Sequence[str],
        api_base: str = "https://api.stripe.com",
        timeout_seconds: float = 10.0,
        webhook_tolerance_seconds: int = WEBHOOK_TOLERANCE_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        """webhook_secrets: the current secret first, then the previous one during a rotation."""
        self._publishable_key = publishable_key
        self._webhook_secrets = [s for s in webhook_secrets if s]
        self._tolerance = webhook_tolerance_seconds
        self._now = now
        self._api = GatewayClient(
            "Stripe",
            base_url=api_base,
            timeout_seconds=timeout_seconds,
            headers={"Authorization": f"Bearer {secret_key}", "Stripe-Version": API_VERSION},
        )

    async def create_order(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> GatewayOrder:
        check_idempotency_key(idempotency_key)
        intent = await self._api.call(
            _NewPaymentIntent,
            "POST",
            "/v1/payment_intents",
            data={
                "amount": str(amount_minor),
                "currency": currency.lower(),
                "metadata[reference]": reference,
                "automatic_payment_methods[enabled]": "true",
            },
            headers={"Idempotency-Key": idempotency_key},
        )
        return GatewayOrder(
            gateway_order_id=intent.id,
            amount_minor=intent.amount,
            currency=intent.currency.upper(),
            client={
                "client_secret": intent.client_secret,
                "publishable_key": self._publishable_key,
            },
        )

    async def confirm(
        self, *, gateway_order_id: str, confirmation: Mapping[str, str]
    ) -> GatewayStatus:
        """Whatever the client says it paid, only the PaymentIntent we stored is asked."""
        claimed = confirmation.get("payment_intent_id")
        if claimed is not None and claimed != gateway_order_id:
            raise InvalidSignature("The confirmation names another PaymentIntent.")
        return await self.fetch(gateway_order_id)

    async def fetch(self, gateway_order_id: str) -> GatewayStatus:
        intent = await self._api.call(
            _PaymentIntent, "GET", f"/v1/payment_intents/{gateway_order_id}"
        )
        return _status(intent)

    async def refund(
        self, *, gateway_payment_id: str, amount_minor: int, idempotency_key: str
    ) -> GatewayRefund:
        check_idempotency_key(idempotency_key)
        refund = await self._api.call(
            _Refund,
            "POST",
            "/v1/refunds",
            data={"payment_intent": gateway_payment_id, "amount": str(amount_minor)},
            headers={"Idempotency-Key": idempotency_key},
        )
        return GatewayRefund(
            gateway_refund_id=refund.id,
            status=_REFUND_STATES.get(refund.status, "pending"),
            amount_minor=refund.amount,
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent | None:
        verify_timestamped(
            header(headers, "Stripe-Signature"),
            body,
            self._webhook_secrets,
            now=self._now,
            tolerance_seconds=self._tolerance,
        )
        try:
            if json.loads(body).get("type") not in _WEBHOOK_EVENTS:
                return None
            event = _Event.model_validate_json(body)
        except (ValueError, AttributeError, ValidationError):
            raise InvalidSignature("The webhook body is not a Stripe event.") from None
        intent = event.data.object
        status = _status(intent)
        return WebhookEvent(
            event_id=event.id,
            event_type=event.type,
            gateway_order_id=intent.id,
            gateway_payment_id=status.gateway_payment_id,
            status=status.status,
            amount_minor=status.amount_minor,
            currency=status.currency,
        )

    async def aclose(self) -> None:
        await self._api.aclose()
