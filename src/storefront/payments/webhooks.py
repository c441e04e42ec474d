"""Gateway notifications: verified over the raw body, recorded once by the gateway's event id,
answered at once, and applied by a queue handler (the same apply path as a confirmation)."""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.events.outbox import Event, record_event
from storefront.payments.capture import apply_outcome
from storefront.payments.context import PaymentsContext
from storefront.payments.gateways.base import GatewayStatus
from storefront.payments.models import PaymentAttempt, PaymentWebhookEvent

logger = logging.getLogger(__name__)

WEBHOOK_RECEIVED = "payment.webhook_received"


async def receive_webhook(
    context: PaymentsContext, session: AsyncSession, body: bytes, headers: Mapping[str, str]
) -> bool:
    """True when the event is new and queued; False for a duplicate or an ignored type.
    InvalidSignature (400) when the signature does not hold: nothing is recorded."""
    event = context.gateway.parse_webhook(body, headers)
    if event is None:
        return False
    inserted = await session.execute(
        insert(PaymentWebhookEvent)
        .values(gateway=context.gateway.name, event_id=event.event_id, payload=asdict(event))
        .on_conflict_do_nothing()
        .returning(PaymentWebhookEvent.event_id)
    )
    if inserted.first() is None:
        return False
    record_event(
        session, WEBHOOK_RECEIVED, {"gateway": context.gateway.name, "event_id": event.event_id}
    )
    return True


async def apply_webhook(context: PaymentsContext, session: AsyncSession, event: Event) -> None:
    stored = await session.get_one(
        PaymentWebhookEvent, (event.payload["gateway"], event.payload["event_id"])
    )
    news = stored.payload
    payment_id = await session.scalar(
        select(PaymentAttempt.payment_id).where(
            PaymentAttempt.gateway_order_id == news["gateway_order_id"]
        )
    )
    if payment_id is None:
        logger.warning("webhook for an unknown gateway order", extra={"event": news["event_id"]})
        return
    status = GatewayStatus(
        status=news["status"],
        amount_minor=news["amount_minor"],
        currency=news["currency"],
        gateway_payment_id=news["gateway_payment_id"],
    )
    await apply_outcome(context, session, uuid.UUID(str(payment_id)), status)
