"""Recording events inside the caller's transaction."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storefront.core.database import ON_OUTBOX_COMMIT
from storefront.core.events.models import EventStatus, OutboxEvent

_HAS_EVENTS = "outbox_has_events"


@dataclass(frozen=True)
class Event:
    event_id: uuid.UUID
    event_type: str
    payload: Mapping[str, Any]
    attempt: int


def record_event(session: AsyncSession, event_type: str, payload: Mapping[str, Any]) -> uuid.UUID:
    """Add an event to the outbox; it leaves the process only if the transaction commits."""
    event_id = uuid.uuid4()
    session.add(OutboxEvent(event_id=event_id, event_type=event_type, payload=dict(payload)))
    session.info[_HAS_EVENTS] = True
    return event_id


# A sessionmaker made with on_outbox_commit wakes its relay or dispatcher right after a commit
# that recorded events, instead of at the next poll.
@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_HAS_EVENTS, False):
        wake: Callable[[], None] | None = session.info.get(ON_OUTBOX_COMMIT)
        if wake is not None:
            wake()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_HAS_EVENTS, None)


async def purge_handled_events(session: AsyncSession, older_than: timedelta) -> int:
    """Delete handled events past retention (dead ones stay until an operator deals with them)."""
    result = await session.execute(
        delete(OutboxEvent).where(
            OutboxEvent.status == EventStatus.HANDLED,
            OutboxEvent.handled_at < func.now() - older_than,
        )
    )
    return int(getattr(result, "rowcount", 0))
