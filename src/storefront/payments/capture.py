"""The one function that applies what a gateway says about an attempt, whoever brings the news
(the client's confirmation, a webhook, the reconciler), in any order and any number of times.

The attempt's row is locked first (then, through the orders façade, the order's), so two
deliveries of one outcome run one after the other and the second changes nothing. States only
move forward: created/pending -> captured | failed | returned, failed -> captured (a later try
on the same gateway order succeeded); captured and returned never change again."""

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.orders.service import CaptureOutcome, record_capture
from storefront.payments.context import PaymentsContext
from storefront.payments.gateways.base import GatewayStatus
from storefront.payments.models import AttemptStatus, PaymentAttempt
from storefront.payments.notices import email_buyer
from storefront.payments.refunds import request_refund

logger = logging.getLogger(__name__)

RECEIPT_TEMPLATE = "payment_receipt"
MISMATCH = "The gateway reported a different amount or currency than the order's."
RETURNED = "The order could not take this payment; it is refunded in full."
_SETTLED = frozenset({AttemptStatus.CAPTURED, AttemptStatus.RETURNED})


async def lock_attempt(session: AsyncSession, payment_id: uuid.UUID) -> PaymentAttempt | None:
    return await session.scalar(
        select(PaymentAttempt).where(PaymentAttempt.payment_id == payment_id).with_for_update()
    )


async def apply_outcome(
    context: PaymentsContext, session: AsyncSession, payment_id: uuid.UUID, news: GatewayStatus
) -> PaymentAttempt:
    attempt = await lock_attempt(session, payment_id)
    if attempt is None:
        raise LookupError(f"no payment attempt {payment_id}")
    if attempt.status in _SETTLED or news.status == "pending":
        return attempt
    if news.status == "failed":
        if attempt.status != AttemptStatus.FAILED:
            attempt.status = AttemptStatus.FAILED
            attempt.failure_reason = "The payment was declined or abandoned."
        return attempt
    attempt.gateway_payment_id = news.gateway_payment_id
    attempt.captured_at = datetime.now(UTC)
    if news.amount_minor != attempt.amount_minor or news.currency != attempt.currency:
        logger.error("captured amount differs from the order's", extra={"payment_id": payment_id})
        attempt.status = AttemptStatus.FAILED
        attempt.failure_reason = MISMATCH
        await _give_back(session, attempt, news.amount_minor, MISMATCH)
        return attempt
    outcome = await record_capture(session, attempt.order_id, payment_id=attempt.payment_id)
    if outcome is CaptureOutcome.PAID:
        attempt.status = AttemptStatus.CAPTURED
        await _send_receipt(context, session, attempt)
    else:
        attempt.status = AttemptStatus.RETURNED
        attempt.failure_reason = RETURNED
        await _give_back(session, attempt, attempt.amount_minor, RETURNED)
    return attempt


async def _give_back(
    session: AsyncSession, attempt: PaymentAttempt, amount_minor: int, reason: str
) -> None:
    """Refund money the gateway captured but the order does not take. A capture of another
    amount than the attempt's is given back whole (within the row's CHECK: at most the
    attempt's amount is recorded; the rest is for an operator, logged above)."""
    await session.flush()
    request_refund(session, attempt, min(amount_minor, attempt.amount_minor), reason)


async def _send_receipt(
    context: PaymentsContext, session: AsyncSession, attempt: PaymentAttempt
) -> None:
    paid_at = (attempt.captured_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    await email_buyer(
        context,
        session,
        attempt,
        RECEIPT_TEMPLATE,
        amount_minor=attempt.amount_minor,
        details={"paid_at": paid_at},
    )
