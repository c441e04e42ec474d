"""Paying an order: an attempt started at the gateway, and the client's confirmation checked
with the gateway against what we stored (never against what the client says)."""

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.errors import Conflict, InvalidInput, NotFound
from storefront.core.money import to_minor_units
from storefront.core.schemas import FieldError
from storefront.orders.service import OrderStatus, get_order_for_payment
from storefront.payments.capture import apply_outcome
from storefront.payments.context import PaymentsContext
from storefront.payments.gateways.base import GatewayOrder, GatewayUnavailable, InvalidSignature
from storefront.payments.models import AttemptStatus, PaymentAttempt

PAYMENT_NOT_FOUND = "Payment not found."


async def start_payment(
    context: PaymentsContext, session: AsyncSession, user_id: uuid.UUID, order_id: uuid.UUID
) -> tuple[PaymentAttempt, GatewayOrder]:
    """A new attempt for the user's order awaiting payment (each call is a new attempt)."""
    order = await get_order_for_payment(session, user_id, order_id)
    if order.status is not OrderStatus.PENDING_PAYMENT:
        raise Conflict(f"Only an order awaiting payment can be paid; this one is {order.status}.")
    payment_id = uuid.uuid4()
    amount_minor = to_minor_units(order.total, order.currency)
    started = await context.gateway.create_order(
        reference=str(payment_id),
        amount_minor=amount_minor,
        currency=order.currency,
        idempotency_key=f"pay-{payment_id.hex}",
    )
    attempt = PaymentAttempt(
        payment_id=payment_id,
        order_id=order_id,
        user_id=user_id,
        gateway=context.gateway.name,
        gateway_order_id=started.gateway_order_id,
        amount_minor=amount_minor,
        currency=order.currency,
        status=AttemptStatus.PENDING,
    )
    session.add(attempt)
    await session.flush()
    return attempt, started


async def own_attempt(
    session: AsyncSession, user_id: uuid.UUID, payment_id: uuid.UUID
) -> PaymentAttempt:
    """The user's attempt; another user's is NotFound, exactly like a missing one."""
    attempt = await session.scalar(
        select(PaymentAttempt).where(
            PaymentAttempt.payment_id == payment_id, PaymentAttempt.user_id == user_id
        )
    )
    if attempt is None:
        raise NotFound(PAYMENT_NOT_FOUND)
    return attempt


async def order_attempts(
    session: AsyncSession, user_id: uuid.UUID, order_id: uuid.UUID
) -> Sequence[PaymentAttempt]:
    await get_order_for_payment(session, user_id, order_id)  # NotFound unless the user's
    query = (
        select(PaymentAttempt)
        .where(PaymentAttempt.order_id == order_id)
        .order_by(PaymentAttempt.created_at.desc(), PaymentAttempt.payment_id)
    )
    return (await session.scalars(query)).all()


async def confirm_payment(
    context: PaymentsContext,
    session: AsyncSession,
    user_id: uuid.UUID,
    payment_id: uuid.UUID,
    confirmation: Mapping[str, str],
) -> PaymentAttempt:
    """Verified with the gateway, then applied. A gateway that does not answer leaves the
    attempt pending: the reconciler settles it."""
    attempt = await own_attempt(session, user_id, payment_id)
    if attempt.status in (AttemptStatus.CAPTURED, AttemptStatus.RETURNED):
        return attempt
    try:
        news = await context.gateway.confirm(
            gateway_order_id=attempt.gateway_order_id, confirmation=confirmation
        )
    except InvalidSignature as refused:
        raise InvalidInput(
            errors=[FieldError(field="signature", message=refused.message)]
        ) from None
    except GatewayUnavailable:
        return attempt
    applied = await apply_outcome(context, session, payment_id, news)
    if applied.failure_reason is not None and applied.status == AttemptStatus.FAILED:
        # Committing: the attempt stays failed (and a mismatched capture is given back).
        raise Conflict(f"The payment did not go through: {applied.failure_reason}").committing()
    return applied
