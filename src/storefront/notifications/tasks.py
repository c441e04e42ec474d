"""Queue handlers that render and send notifications, keeping the notification log."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.config import Settings
from storefront.core.events.outbox import Event
from storefront.core.events.registry import HandlerRegistry
from storefront.core.security.sealing import Sealer
from storefront.notifications.email import EmailSender, create_email_sender
from storefront.notifications.errors import DeliveryError
from storefront.notifications.models import Channel, DeliveryStatus, NotificationLog
from storefront.notifications.service import EMAIL_REQUESTED, SMS_REQUESTED
from storefront.notifications.sms import SmsSender, create_sms_sender
from storefront.notifications.templates import render_email, render_sms

_MAX_ERROR_LENGTH = 500


class NotificationHandlers:
    def __init__(self, email: EmailSender, sms: SmsSender, sealer: Sealer) -> None:
        self.email_sender = email
        self.sms_sender = sms
        self.sealer = sealer

    async def send_email(self, session: AsyncSession, event: Event) -> None:
        payload = event.payload
        content = render_email(payload["template"], self._context(payload))
        message_id = str(event.event_id)
        await _deliver(
            session,
            event,
            Channel.EMAIL,
            lambda: self.email_sender.send(payload["to"], content, message_id=message_id),
        )

    async def send_sms(self, session: AsyncSession, event: Event) -> None:
        payload = event.payload
        body = render_sms(payload["template"], self._context(payload))
        message_id = str(event.event_id)
        await _deliver(
            session,
            event,
            Channel.SMS,
            lambda: self.sms_sender.send(payload["to"], body, message_id=message_id),
        )

    async def aclose(self) -> None:
        await self.email_sender.aclose()
        await self.sms_sender.aclose()

    def _context(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        secrets = self.sealer.open(payload["sealed"]) if "sealed" in payload else {}
        return {**payload["context"], **secrets}


async def _deliver(
    session: AsyncSession, event: Event, channel: Channel, send: Callable[[], Awaitable[None]]
) -> None:
    """Send, and log the attempt in the event's transaction; a failure is logged, then raised
    so that the event is retried or dead-lettered."""
    # Only a failed earlier attempt (committed with its failure) can have left an entry.
    entry = (
        await session.scalar(
            select(NotificationLog).where(NotificationLog.event_id == event.event_id)
        )
        if event.attempt > 1
        else None
    )
    if entry is None:
        entry = NotificationLog(
            event_id=event.event_id,
            channel=channel,
            recipient=event.payload["to"],
            template=event.payload["template"],
        )
        session.add(entry)
    entry.attempts = event.attempt
    try:
        await send()
    except DeliveryError as exc:
        entry.status = DeliveryStatus.FAILED
        entry.last_error = str(exc)[:_MAX_ERROR_LENGTH]
        raise
    entry.status = DeliveryStatus.SENT
    entry.last_error = None
    entry.sent_at = func.now()


def register(registry: HandlerRegistry, settings: Settings) -> None:
    handlers = NotificationHandlers(
        create_email_sender(settings),
        create_sms_sender(settings),
        Sealer(settings.resolved_secret_key()),
    )
    registry.register(EMAIL_REQUESTED, handlers.send_email)
    registry.register(SMS_REQUESTED, handlers.send_sms)
    registry.on_close(handlers.aclose)
