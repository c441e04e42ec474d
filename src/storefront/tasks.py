"""Every module's queue handlers and periodic jobs, assembled for the API and the worker."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.denylist import purge_expired_revocations
from storefront.cart import tasks as cart_tasks
from storefront.core.config import Settings
from storefront.core.events.outbox import purge_handled_events
from storefront.core.events.periodic import PeriodicJob
from storefront.core.events.registry import HandlerRegistry
from storefront.core.idempotency import purge_expired_keys
from storefront.notifications import tasks as notification_tasks
from storefront.orders import tasks as order_tasks
from storefront.payments import tasks as payment_tasks
from storefront.payments.context import PaymentsContext


def build_registry(settings: Settings, payments: PaymentsContext) -> HandlerRegistry:
    registry = HandlerRegistry()
    notification_tasks.register(registry, settings)
    order_tasks.register(registry, settings)
    payment_tasks.register(registry, payments)
    return registry


def periodic_jobs(settings: Settings, payments: PaymentsContext) -> list[PeriodicJob]:
    retention = timedelta(days=settings.outbox_retention_days)

    async def purge_outbox(session: AsyncSession) -> None:
        await purge_handled_events(session, retention)

    async def purge_idempotency_keys(session: AsyncSession) -> None:
        await purge_expired_keys(session)

    return [
        PeriodicJob("purge_handled_events", timedelta(hours=1), purge_outbox),
        PeriodicJob("purge_expired_revocations", timedelta(hours=1), purge_expired_revocations),
        PeriodicJob("purge_idempotency_keys", timedelta(hours=1), purge_idempotency_keys),
        *order_tasks.periodic_jobs(),
        *payment_tasks.periodic_jobs(payments),
        cart_tasks.EXPIRE_GUEST_CARTS,
    ]
