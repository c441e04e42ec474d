"""Without a broker the API process handles the outbox itself: these go through the real app,
the real PostgreSQL and a real SMTP server."""

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.core.events.models import EventStatus
from storefront.notifications.models import DeliveryStatus
from storefront.notifications.service import Notifier
from tests.core.events.conftest import notification_log, outbox, wait_until
from tests.smtp_sink import SmtpSink


async def dead_lettered(client: httpx.AsyncClient) -> float:
    metrics = text_string_to_metric_families((await client.get("/metrics")).text)
    return sum(
        sample.value
        for family in metrics
        for sample in family.samples
        if sample.name == "storefront_events_dead_lettered_total"
        and sample.labels == {"event_type": "notification.email_requested"}
    )


def notifier(app: FastAPI) -> Notifier:
    result: Notifier = app.state.auth.notifier
    return result


async def send_welcome(app: FastAPI, to: str = "john.doe@example.com") -> None:
    async with unit_of_work(app.state.sessions) as session:
        notifier(app).email(session, to=to, template="welcome", context={"username": "john_doe"})


async def test_a_committed_event_is_emailed_exactly_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await send_welcome(app)

    [message] = await smtp_sink.wait_for(1)
    assert message["To"] == "john.doe@example.com"
    assert "john_doe" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    async def handled() -> bool:
        return [e.status for e in await outbox(sessions)] == [EventStatus.HANDLED]

    await wait_until(handled)
    [entry] = await notification_log(sessions)
    assert (entry.status, entry.attempts, entry.recipient, entry.template) == (
        DeliveryStatus.SENT,
        1,
        "john.doe@example.com",
        "welcome",
    )
    assert entry.sent_at is not None
    assert len(smtp_sink.messages) == 1


async def test_an_event_whose_transaction_rolls_back_is_never_sent(
    app: FastAPI,
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def register_then_fail() -> None:
        async with unit_of_work(app.state.sessions) as session:
            notifier(app).email(
                session, to="a@example.com", template="welcome", context={"username": "a"}
            )
            await session.flush()
            raise RuntimeError("the rest of the registration failed")

    with pytest.raises(RuntimeError):
        await register_then_fail()
    await send_welcome(app, to="b@example.com")  # a later event does go out

    [message] = await smtp_sink.wait_for(1)
    assert message["To"] == "b@example.com"
    assert len(await outbox(sessions)) == 1


async def test_one_time_codes_never_sit_in_the_outbox_or_the_log_in_clear(
    app: FastAPI,
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(app.state.sessions) as session:
        notifier(app).email(
            session,
            to="john.doe@example.com",
            template="email_otp",
            context={"username": "john_doe", "expires_minutes": 10},
            secrets={"code": "493817"},
        )
    [event] = await outbox(sessions)
    assert "493817" not in str(event.payload)

    [message] = await smtp_sink.wait_for(1)
    assert "493817" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # The log entry commits with the handled mark, just after the email went out.
    async def logged() -> bool:
        return len(await notification_log(sessions)) == 1

    await wait_until(logged)
    [entry] = await notification_log(sessions)
    assert "493817" not in str(vars(entry))


async def test_smtp_refusing_is_retried_with_backoff_then_delivered(
    app: FastAPI,
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    smtp_sink.refuse = True
    await send_welcome(app)

    async def failed_once() -> bool:
        return any(e.attempts >= 1 for e in await notification_log(sessions))

    await wait_until(failed_once)
    [entry] = await notification_log(sessions)
    assert entry.status == DeliveryStatus.FAILED
    assert "451" in (entry.last_error or "")
    smtp_sink.refuse = False

    await smtp_sink.wait_for(1)

    async def sent() -> bool:
        return [e.status for e in await notification_log(sessions)] == [DeliveryStatus.SENT]

    await wait_until(sent)
    [entry] = await notification_log(sessions)
    assert entry.attempts >= 2
    assert entry.last_error is None


async def test_smtp_down_for_good_is_dead_lettered_and_visible(
    app: FastAPI,
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead_before = await dead_lettered(client)
    smtp_sink.refuse = True
    await send_welcome(app)

    async def dead() -> bool:
        return [e.status for e in await outbox(sessions)] == [EventStatus.DEAD]

    await wait_until(dead)
    [event] = await outbox(sessions)
    assert event.attempts == 3
    assert "451" in (event.last_error or "")
    [entry] = await notification_log(sessions)
    assert (entry.status, entry.attempts) == (DeliveryStatus.FAILED, 3)
    assert await dead_lettered(client) == dead_before + 1
    assert smtp_sink.messages == []
