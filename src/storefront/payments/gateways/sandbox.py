"""A built-in gateway that behaves like a real one without a network: its own ids, orders kept
in its own tables (in its own short transactions, as an outside system would), confirmations
signed like Razorpay's and webhooks signed like Stripe's (with a timestamp).

Test outcomes follow the amount, like card test numbers: minor units ending in 01 fail, in 02
stay pending (until `settle`), anything else succeeds; `pay` may also name the outcome."""

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.payments.gateways.base import (
    GatewayOrder,
    GatewayRefund,
    GatewayRejected,
    GatewayStatus,
    InvalidSignature,
    PaymentState,
    WebhookEvent,
)
from storefront.payments.gateways.sandbox_models import (
    SandboxGatewayPayment,
    SandboxGatewayRefund,
    SandboxPaymentStatus,
)
from storefront.payments.gateways.signatures import (
    check_idempotency_key,
    header,
    sign_checkout,
    sign_timestamped,
    verified_checkout_payment,
    verify_timestamped,
)
from storefront.payments.gateways.transport import GatewayModel

Outcome = Literal["success", "failure", "pending"]
SIGNATURE_HEADER = "Sandbox-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300

_STATUS_BY_OUTCOME = {
    "success": SandboxPaymentStatus.CAPTURED,
    "failure": SandboxPaymentStatus.FAILED,
    "pending": SandboxPaymentStatus.PENDING,
}
_STATE_BY_STATUS: dict[SandboxPaymentStatus, PaymentState] = {
    SandboxPaymentStatus.CREATED: "pending",
    SandboxPaymentStatus.PENDING: "pending",
    SandboxPaymentStatus.CAPTURED: "captured",
    SandboxPaymentStatus.FAILED: "failed",
}
_EVENT_TYPES: dict[PaymentState, str] = {
    "captured": "payment.captured",
    "failed": "payment.failed",
    "pending": "payment.pending",
}


@dataclass(frozen=True, slots=True)
class SandboxWebhook:
    """A delivery as the sandbox would POST it: the raw body and its headers."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class SandboxPayment:
    gateway_payment_id: str
    signature: str
    outcome: Outcome
    webhook: SandboxWebhook

    @property
    def confirmation(self) -> dict[str, str]:
        """What a client sends to confirm, as Razorpay's Checkout hands it over."""
        return {"gateway_payment_id": self.gateway_payment_id, "signature": self.signature}


class _EventData(GatewayModel):
    gateway_order_id: str
    gateway_payment_id: str
    status: PaymentState
    amount_minor: int
    currency: str


class _Event(GatewayModel):
    id: str
    type: str
    data: _EventData


def outcome_for_amount(amount_minor: int) -> Outcome:
    match amount_minor % 100:
        case 1:
            return "failure"
        case 2:
            return "pending"
        case _:
            return "success"


def _derive(secret_key: str, purpose: bytes) -> str:
    return (
        HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
        .derive(secret_key.encode())
        .hex()
    )


def _new_id(prefix: str) -> str:
    return f"sbx_{prefix}_{secrets.token_hex(10)}"


def _status(row: SandboxGatewayPayment) -> GatewayStatus:
    return GatewayStatus(
        status=_STATE_BY_STATUS[row.status],
        amount_minor=row.amount_minor,
        currency=row.currency,
        gateway_payment_id=row.gateway_payment_id,
    )


class SandboxGateway:
    name: Literal["sandbox"] = "sandbox"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        secret_key: str,
        webhook_tolerance_seconds: int = WEBHOOK_TOLERANCE_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        """secret_key: the application's; the sandbox derives its own two secrets from it."""
        self._sessions = sessions
        self._key_secret = _derive(secret_key, b"storefront sandbox gateway: confirmations")
        self._webhook_secret = _derive(secret_key, b"storefront sandbox gateway: webhooks")
        self._tolerance = webhook_tolerance_seconds
        self._now = now

    async def create_order(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> GatewayOrder:
        check_idempotency_key(idempotency_key)
        if amount_minor <= 0:
            raise GatewayRejected("The amount must be positive.", http_status=400)
        currency = currency.upper()
        async with unit_of_work(self._sessions) as session:
            created = await session.scalar(
                insert(SandboxGatewayPayment)
                .values(
                    gateway_order_id=_new_id("order"),
                    idempotency_key=idempotency_key,
                    reference=reference,
                    amount_minor=amount_minor,
                    currency=currency,
                    status=SandboxPaymentStatus.CREATED,
                    refunded_minor=0,
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(SandboxGatewayPayment.gateway_order_id)
            )
            # Inserted now, or by the earlier request with this key.
            row = (
                await session.scalars(
                    select(SandboxGatewayPayment).where(
                        SandboxGatewayPayment.idempotency_key == idempotency_key
                    )
                )
            ).one()
        if created is None and (row.amount_minor, row.currency) != (amount_minor, currency):
            raise GatewayRejected(
                "This idempotency key was used for another amount or currency.",
                http_status=400,
                code="idempotency_key_reused",
            )
        return GatewayOrder(
            gateway_order_id=row.gateway_order_id,
            amount_minor=row.amount_minor,
            currency=row.currency,
            client={"order_id": row.gateway_order_id},
        )

    async def pay(self, gateway_order_id: str, outcome: Outcome | None = None) -> SandboxPayment:
        """What a customer paying at the sandbox does: a new payment on the order, its signed
        confirmation for the client, and the webhook the sandbox would send about it."""
        async with unit_of_work(self._sessions) as session:
            row = await self._locked_order(session, gateway_order_id)
            if row.status not in {SandboxPaymentStatus.CREATED, SandboxPaymentStatus.FAILED}:
                raise GatewayRejected(f"The order is already {row.status}.", http_status=400)
            chosen = outcome or outcome_for_amount(row.amount_minor)
            payment_id = _new_id("pay")
            row.gateway_payment_id = payment_id
            row.status = _STATUS_BY_OUTCOME[chosen]
            status = _status(row)
        return SandboxPayment(
            gateway_payment_id=payment_id,
            signature=sign_checkout(self._key_secret, gateway_order_id, payment_id),
            outcome=chosen,
            webhook=self._webhook(gateway_order_id, status),
        )

    async def settle(
        self, gateway_order_id: str, outcome: Literal["success", "failure"]
    ) -> SandboxWebhook:
        """Settle a pending payment later, as a bank would; returns the webhook about it."""
        async with unit_of_work(self._sessions) as session:
            row = await self._locked_order(session, gateway_order_id)
            if row.status != SandboxPaymentStatus.PENDING:
                raise GatewayRejected(f"The order is {row.status}, not pending.", http_status=400)
            row.status = _STATUS_BY_OUTCOME[outcome]
            status = _status(row)
        return self._webhook(gateway_order_id, status)

    async def confirm(
        self, *, gateway_order_id: str, confirmation: Mapping[str, str]
    ) -> GatewayStatus:
        payment_id = verified_checkout_payment(confirmation, gateway_order_id, self._key_secret)
        status = await self.fetch(gateway_order_id)
        if status.gateway_payment_id != payment_id:
            raise GatewayRejected("This is not the order's latest payment.", http_status=400)
        return status

    async def fetch(self, gateway_order_id: str) -> GatewayStatus:
        async with unit_of_work(self._sessions) as session:
            row = await session.get(SandboxGatewayPayment, gateway_order_id)
            if row is None:
                raise GatewayRejected("No such order.", http_status=404)
            return _status(row)

    async def refund(
        self, *, gateway_payment_id: str, amount_minor: int, idempotency_key: str
    ) -> GatewayRefund:
        check_idempotency_key(idempotency_key)
        async with unit_of_work(self._sessions) as session:
            row = await session.scalar(
                select(SandboxGatewayPayment)
                .where(SandboxGatewayPayment.gateway_payment_id == gateway_payment_id)
                .with_for_update()
            )
            if row is None:
                raise GatewayRejected("No such payment.", http_status=404)
            earlier = await session.scalar(
                select(SandboxGatewayRefund).where(
                    SandboxGatewayRefund.idempotency_key == idempotency_key
                )
            )
            if earlier is not None:
                if (earlier.gateway_order_id, earlier.amount_minor) != (
                    row.gateway_order_id,
                    amount_minor,
                ):
                    raise GatewayRejected(
                        "This idempotency key was used for another refund.",
                        http_status=400,
                        code="idempotency_key_reused",
                    )
                return GatewayRefund(earlier.gateway_refund_id, "succeeded", earlier.amount_minor)
            if row.status != SandboxPaymentStatus.CAPTURED:
                raise GatewayRejected("Only a captured payment can be refunded.", http_status=400)
            if not 0 < amount_minor <= row.amount_minor - row.refunded_minor:
                raise GatewayRejected(
                    "The refund exceeds what is left of the payment.", http_status=400
                )
            refund = SandboxGatewayRefund(
                gateway_refund_id=_new_id("rfnd"),
                gateway_order_id=row.gateway_order_id,
                idempotency_key=idempotency_key,
                amount_minor=amount_minor,
            )
            session.add(refund)
            row.refunded_minor += amount_minor
        return GatewayRefund(refund.gateway_refund_id, "succeeded", amount_minor)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent | None:
        verify_timestamped(
            header(headers, SIGNATURE_HEADER),
            body,
            [self._webhook_secret],
            now=self._now,
            tolerance_seconds=self._tolerance,
        )
        try:
            event = _Event.model_validate_json(body)
        except ValidationError:
            raise InvalidSignature("The webhook body is not a sandbox event.") from None
        if event.type not in _EVENT_TYPES.values():
            return None
        data = event.data
        return WebhookEvent(
            event_id=event.id,
            event_type=event.type,
            gateway_order_id=data.gateway_order_id,
            gateway_payment_id=data.gateway_payment_id,
            status=data.status,
            amount_minor=data.amount_minor,
            currency=data.currency,
        )

    async def aclose(self) -> None:
        """The sessions belong to the application; nothing to release."""

    def _webhook(self, gateway_order_id: str, status: GatewayStatus) -> SandboxWebhook:
        now = int(self._now())
        body = json.dumps(
            {
                "id": _new_id("evt"),
                "type": _EVENT_TYPES[status.status],
                "created": now,
                "data": {
                    "gateway_order_id": gateway_order_id,
                    "gateway_payment_id": status.gateway_payment_id,
                    "status": status.status,
                    "amount_minor": status.amount_minor,
                    "currency": status.currency,
                },
            }
        ).encode()
        signature = sign_timestamped(self._webhook_secret, body, now)
        return SandboxWebhook(
            body=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        )

    @staticmethod
    async def _locked_order(session: AsyncSession, gateway_order_id: str) -> SandboxGatewayPayment:
        row = await session.get(SandboxGatewayPayment, gateway_order_id, with_for_update=True)
        if row is None:
            raise GatewayRejected("No such order.", http_status=404)
        return row
