"""Refunds: requested in the transaction that decides them (an automatic return, a cancelled
order, an administrator), sent to the gateway by a queue handler with an idempotency key
derived from our refund id, so a retried handler never refunds twice. The amount is counted
against the capture when requested; the CHECK on payment_attempts keeps the total within it."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.errors import Conflict
from storefront.core.events.outbox import Event, record_event
from storefront.core.money import format_money, from_minor_units
from storefront.orders.service import PaymentStatus, set_payment_status
from storefront.payments.context import PaymentsContext
from storefront.payments.models import AttemptStatus, PaymentAttempt, PaymentRefund, RefundStatus
from storefront.payments.notices import email_buyer

REFUND_REQUESTED = "payment.refund_requested"
REFUND_TEMPLATE = "refund_notice"


def request_refund(
    session: AsyncSession, attempt: PaymentAttempt, amount_minor: int, reason: str
) -> PaymentRefund:
    """Refund `amount_minor` of a captured (or returned) attempt whose row the caller locked."""
    left = attempt.amount_minor - attempt.refunded_minor
    if amount_minor > left:
        left_text = format_money(from_minor_units(left, attempt.currency))
        raise Conflict(f"At most {left_text} {attempt.currency} of this payment can be refunded.")
    attempt.refunded_minor += amount_minor
    refund = PaymentRefund(
        refund_id=uuid.uuid4(),
        payment_id=attempt.payment_id,
        amount_minor=amount_minor,
        status=RefundStatus.PENDING,
        reason=reason,
    )
    session.add(refund)
    record_event(session, REFUND_REQUESTED, {"refund_id": str(refund.refund_id)})
    return refund


async def send_refund(context: PaymentsContext, session: AsyncSession, event: Event) -> None:
    """The queue handler: ask the gateway, then record what it said. A gateway that is down
    raises, and the event is retried with backoff."""
    refund = await session.scalar(
        select(PaymentRefund)
        .where(PaymentRefund.refund_id == uuid.UUID(event.payload["refund_id"]))
        .with_for_update()
    )
    if refund is None or refund.gateway_refund_id is not None:
        return
    attempt = await session.get_one(PaymentAttempt, refund.payment_id, with_for_update=True)
    if attempt.gateway_payment_id is None:  # only captured attempts are ever refunded
        raise LookupError(f"payment {attempt.payment_id} has no captured gateway payment")
    result = await context.gateway.refund(
        gateway_payment_id=attempt.gateway_payment_id,
        amount_minor=refund.amount_minor,
        idempotency_key=f"refund-{refund.refund_id.hex}",
    )
    refund.gateway_refund_id = result.gateway_refund_id
    refund.status = RefundStatus(result.status)
    if refund.status == RefundStatus.FAILED:
        attempt.refunded_minor -= refund.amount_minor
        return
    if attempt.status == AttemptStatus.CAPTURED:
        fully = attempt.refunded_minor == attempt.amount_minor
        status = PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED
        await set_payment_status(session, attempt.order_id, status)
    await _notify(context, session, attempt, refund)


async def _notify(
    context: PaymentsContext, session: AsyncSession, attempt: PaymentAttempt, refund: PaymentRefund
) -> None:
    await email_buyer(
        context,
        session,
        attempt,
        REFUND_TEMPLATE,
        amount_minor=refund.amount_minor,
        details={"refund_id": str(refund.refund_id)},
    )
