"""Every module's queue handlers and periodic jobs, assembled for the API and the worker."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.denylist import purge_expired_revocations
from storefront.core.config import Settings
from storefront.core.events.outbox import purge_handled_events
from storefront.core.events.periodic import PeriodicJob
from storefront.core.events.registry import HandlerRegistry
from storefront.notifications import tasks as notification_tasks


def build_registry(settings: Settings) -> HandlerRegistry:
    registry = HandlerRegistry()
    notification_tasks.register(registry, settings)
    return registry


def periodic_jobs(settings: Settings) -> list[PeriodicJob]:
    retention = timedelta(days=settings.outbox_retention_days)

    async def purge_outbox(session: AsyncSession) -> None:
        await purge_handled_events(session, retention)

    return [
        PeriodicJob("purge_handled_events", timedelta(hours=1), purge_outbox),
        PeriodicJob("purge_expired_revocations", timedelta(hours=1), purge_expired_revocations),
    ]
