"""The payments module's queue handlers and periodic jobs: webhooks applied, refunds sent, a
cancelled order's payment refunded, and unsettled attempts reconciled with the gateway."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.events.outbox import Event
from storefront.core.events.periodic import PeriodicJob
from storefront.core.events.registry import HandlerRegistry
from storefront.payments.capture import apply_outcome
from storefront.payments.context import PaymentsContext
from storefront.payments.gateways.base import GatewayRejected, GatewayUnavailable
from storefront.payments.models import AttemptStatus, PaymentAttempt
from storefront.payments.refunds import REFUND_REQUESTED, request_refund, send_refund
from storefront.payments.webhooks import WEBHOOK_RECEIVED, apply_webhook

logger = logging.getLogger(__name__)

ORDER_CANCELLED = "order.cancelled"
CANCELLED_REASON = "Order cancelled."
RECONCILE_BATCH = 50
# A gateway order nobody paid within this long is abandoned.
ABANDONED_AFTER = timedelta(days=1)


def register(registry: HandlerRegistry, context: PaymentsContext) -> None:
    async def webhook(session: AsyncSession, event: Event) -> None:
        await apply_webhook(context, session, event)

    async def refund(session: AsyncSession, event: Event) -> None:
        await send_refund(context, session, event)

    registry.register(WEBHOOK_RECEIVED, webhook)
    registry.register(REFUND_REQUESTED, refund)
    registry.register(ORDER_CANCELLED, refund_cancelled_order)
    registry.on_close(context.gateway.aclose)


async def refund_cancelled_order(session: AsyncSession, event: Event) -> None:
    """What is left of the order's payment goes back in full."""
    attempt = await session.scalar(
        select(PaymentAttempt)
        .where(
            PaymentAttempt.order_id == uuid.UUID(event.payload["order_id"]),
            PaymentAttempt.status == AttemptStatus.CAPTURED,
        )
        .with_for_update()
    )
    if attempt is None or attempt.refunded_minor >= attempt.amount_minor:
        return
    request_refund(
        session, attempt, attempt.amount_minor - attempt.refunded_minor, CANCELLED_REASON
    )


async def reconcile(
    context: PaymentsContext, session: AsyncSession, batch_size: int = RECONCILE_BATCH
) -> int:
    """Ask the gateway about attempts left unsettled (a confirmation that timed out, a lost
    webhook) and apply what it says; returns how many changed. Each attempt is asked about at
    most once per settle delay, the least recently asked first, so attempts nobody ever pays
    (abandoned for up to a day) cannot keep a newer one from its turn."""
    settle_after = timedelta(seconds=context.settings.payment_reconcile_after_seconds)
    asked_before = func.now() - settle_after
    due = await session.scalars(
        select(PaymentAttempt)
        .where(
            PaymentAttempt.status.in_([AttemptStatus.CREATED, AttemptStatus.PENDING]),
            PaymentAttempt.created_at < asked_before,
            or_(PaymentAttempt.checked_at.is_(None), PaymentAttempt.checked_at < asked_before),
        )
        .order_by(PaymentAttempt.checked_at.asc().nulls_first(), PaymentAttempt.created_at)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    changed = 0
    for attempt in due.all():
        attempt.checked_at = datetime.now(UTC)
        try:
            news = await context.gateway.fetch(attempt.gateway_order_id)
        except (GatewayUnavailable, GatewayRejected):
            logger.warning(
                "reconciler could not ask the gateway", extra={"gateway": attempt.gateway}
            )
            continue
        before = attempt.status
        await apply_outcome(context, session, attempt.payment_id, news)
        if attempt.status == AttemptStatus.PENDING and _abandoned(attempt):
            attempt.status = AttemptStatus.FAILED
            attempt.failure_reason = "Not paid within a day."
        changed += attempt.status != before
    return changed


def _abandoned(attempt: PaymentAttempt) -> bool:
    return datetime.now(UTC) - attempt.created_at > ABANDONED_AFTER


def periodic_jobs(context: PaymentsContext) -> list[PeriodicJob]:
    async def run(session: AsyncSession) -> None:
        await reconcile(context, session)

    return [PeriodicJob("reconcile_payments", timedelta(minutes=1), run)]
