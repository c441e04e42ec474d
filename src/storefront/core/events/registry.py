"""Which handler runs for which event type. Modules register theirs at start-up."""

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.events.outbox import Event

# A handler runs inside the transaction that marks its event handled: its own writes (a
# notification log entry, say) commit together with that mark, or not at all.
EventHandler = Callable[[AsyncSession, Event], Awaitable[None]]
Closer = Callable[[], Awaitable[None]]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, EventHandler] = {}
        self._closers: list[Closer] = []

    def register(self, event_type: str, handler: EventHandler) -> None:
        if event_type in self._handlers:
            raise ValueError(f"a handler for {event_type!r} is already registered")
        self._handlers[event_type] = handler

    def on_close(self, closer: Closer) -> None:
        """Something the handlers hold (an SMTP or HTTP client) to release at shutdown."""
        self._closers.append(closer)

    def handler_for(self, event_type: str) -> EventHandler | None:
        return self._handlers.get(event_type)

    async def aclose(self) -> None:
        for closer in reversed(self._closers):
            await closer()
