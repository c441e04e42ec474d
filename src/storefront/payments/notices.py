"""The emails a payment sends its buyer (a receipt, a refund notice): one shape for all, about
the attempt's order and payment, never to a deactivated account."""

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.service import get_account
from storefront.core.money import format_money, from_minor_units
from storefront.payments.context import PaymentsContext
from storefront.payments.models import PaymentAttempt


async def email_buyer(
    context: PaymentsContext,
    session: AsyncSession,
    attempt: PaymentAttempt,
    template: str,
    *,
    amount_minor: int,
    details: dict[str, str],
) -> None:
    """Email the attempt's buyer `template` about `amount_minor` of the attempt's currency;
    `details` adds what the template needs beyond order, payment and amount."""
    account = await get_account(session, attempt.user_id)
    if not account.is_active:
        return
    context.notifier.email(
        session,
        to=account.email,
        template=template,
        context={
            "username": account.username,
            "order_id": str(attempt.order_id),
            "payment_id": str(attempt.payment_id),
            "amount": format_money(from_minor_units(amount_minor, attempt.currency)),
            "currency": attempt.currency,
            **details,
        },
    )
