import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; the event's retries decide what happens next


class NotificationLog(Timestamped, Base):
    """One row per notification: who, how, which template and how delivery went. Never the
    rendered body, so no one-time code or token is ever stored here."""

    __tablename__ = "notification_log"
    __table_args__ = (UniqueConstraint("event_id", name="uq_notification_log_event_id"),)

    notification_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID]
    channel: Mapped[Channel] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
