"""What other modules call to send a notification: it is recorded in the caller's transaction
and sent by a handler after commit (or never, if the transaction rolls back)."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.events.outbox import record_event
from storefront.core.security.sealing import Sealer
from storefront.notifications.templates import EMAIL_TEMPLATES, SMS_TEMPLATES, UnknownTemplate

EMAIL_REQUESTED = "notification.email_requested"
SMS_REQUESTED = "notification.sms_requested"


class Notifier:
    """Secrets (one-time codes, tokens) are passed apart from the context: they are sealed, so
    they never sit in the outbox or cross the queue in clear."""

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer

    def email(
        self,
        session: AsyncSession,
        *,
        to: str,
        template: str,
        context: Mapping[str, Any],
        secrets: Mapping[str, str] | None = None,
    ) -> uuid.UUID:
        return self._request(
            session,
            EMAIL_REQUESTED,
            EMAIL_TEMPLATES,
            to=to,
            template=template,
            context=context,
            secrets=secrets,
        )

    def sms(
        self,
        session: AsyncSession,
        *,
        to: str,
        template: str,
        context: Mapping[str, Any],
        secrets: Mapping[str, str] | None = None,
    ) -> uuid.UUID:
        return self._request(
            session,
            SMS_REQUESTED,
            SMS_TEMPLATES,
            to=to,
            template=template,
            context=context,
            secrets=secrets,
        )

    def _request(
        self,
        session: AsyncSession,
        event_type: str,
        templates: frozenset[str],
        *,
        to: str,
        template: str,
        context: Mapping[str, Any],
        secrets: Mapping[str, str] | None,
    ) -> uuid.UUID:
        if template not in templates:
            raise UnknownTemplate(template)
        payload: dict[str, Any] = {"to": to, "template": template, "context": dict(context)}
        if secrets:
            payload["sealed"] = self.sealer.seal(secrets)
        return record_event(session, event_type, payload)
