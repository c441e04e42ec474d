"""Paying an order through the sandbox gateway, as a customer, the gateway and the shop see it:
one capture however the news arrives (confirmation, webhook, reconciler, in any order and any
number of times), refusals that change nothing, and money given back when the order cannot
take it."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.models import products_table
from storefront.core.database import unit_of_work
from storefront.orders.expiry import expire_due_orders
from storefront.payments.capture import apply_outcome
from storefront.payments.gateways.base import GatewayStatus
from storefront.payments.models import PaymentAttempt
from storefront.payments.tasks import reconcile
from tests.orders.conftest import age_order, set_order_status, stock, stored_timeline
from tests.orders.test_lifecycle import admin
from tests.payments.conftest import (
    attempts,
    confirm,
    order_of,
    purchase,
    receipts,
    refunds,
    sandbox,
    start_payment,
    webhook_events,
)
from tests.smtp_sink import SmtpSink

WEBHOOK = "/api/v1/payments/webhooks/sandbox"


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_a_payment_starts_with_what_the_client_needs_and_a_retry_answers_it_again(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions, price="1299.50")
    payment = bought.payment
    assert payment["status"] == "pending"
    assert (payment["amount"], payment["amount_minor"], payment["currency"]) == (
        "1299.50",
        129950,
        "INR",
    )
    assert payment["gateway"] == "sandbox"
    assert payment["client"]["order_id"] == payment["gateway_order_id"]

    key = "retry-key-0000000001"
    first = await start_payment(client, bought.buyer, bought.order_id, key)
    again = await start_payment(client, bought.buyer, bought.order_id, key)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(await attempts(sessions)) == 2  # the first purchase's attempt and this one


async def test_confirming_a_sandbox_payment_marks_the_order_paid_with_one_receipt(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    bought = await purchase(app, client, sessions)
    paid = await client.post(
        f"/api/v1/payments/sandbox/{bought.payment['gateway_order_id']}/pay", json={}
    )
    assert paid.status_code == 200, paid.text
    confirmation = {
        "gateway_payment_id": paid.json()["gateway_payment_id"],
        "signature": paid.json()["signature"],
    }

    confirmed = await confirm(client, bought, confirmation)

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["payment"]["status"] == "captured"
    order = await order_of(client, bought)
    assert (order["status"], order["payment_status"]) == ("paid", "paid")

    # The sandbox's webhook about the same capture arrives too: it changes nothing.
    async def webhook_arrived() -> bool:
        return len(await webhook_events(sessions)) >= 1

    await wait_for(webhook_arrived)
    await smtp_sink.wait_for(2)  # the order confirmation and the receipt
    await asyncio.sleep(0.2)
    assert len(receipts(smtp_sink, bought.buyer.email)) == 1
    timeline = await stored_timeline(sessions, bought.order_id)
    assert [entry[1] for entry in timeline] == ["pending_payment", "paid"]


async def test_a_bad_signature_is_refused_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
    forged = {"gateway_payment_id": paid.gateway_payment_id, "signature": "0" * 64}
    other_order = {"gateway_payment_id": "sbx_pay_somebody_else", "signature": paid.signature}

    for confirmation in (forged, other_order, {}):
        refused = await confirm(client, bought, confirmation)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["field"] == "signature"
    [attempt] = await attempts(sessions)
    assert attempt.status == "pending"
    assert (await order_of(client, bought))["status"] == "pending_payment"


async def test_a_webhook_with_a_bad_signature_is_400_and_recorded_nowhere(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
    tampered = paid.webhook.body.replace(b'"amount_minor": 10000', b'"amount_minor": 1')

    bad = await client.post(WEBHOOK, content=tampered, headers=paid.webhook.headers)
    unsigned = await client.post(
        WEBHOOK, content=paid.webhook.body, headers={"Content-Type": "application/json"}
    )
    wrong_gateway = await client.post(
        "/api/v1/payments/webhooks/stripe", content=paid.webhook.body, headers=paid.webhook.headers
    )

    assert bad.status_code == unsigned.status_code == 400
    assert wrong_gateway.status_code == 404
    assert await webhook_events(sessions) == []
    assert (await order_of(client, bought))["status"] == "pending_payment"


async def test_the_same_webhook_delivered_many_times_at_once_has_one_effect(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    bought = await purchase(app, client, sessions)
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])

    deliveries = await asyncio.gather(
        *(
            client.post(WEBHOOK, content=paid.webhook.body, headers=paid.webhook.headers)
            for _ in range(8)
        )
    )

    assert all(d.status_code == 200 for d in deliveries)
    assert sum(d.json()["received"] for d in deliveries) == 1
    await smtp_sink.wait_for(2)

    async def is_paid() -> bool:
        return bool((await order_of(client, bought))["status"] == "paid")

    await wait_for(is_paid)
    await asyncio.sleep(0.2)
    assert len(receipts(smtp_sink, bought.buyer.email)) == 1
    assert len(await webhook_events(sessions)) == 1


async def test_confirmation_and_webhook_racing_capture_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    for _ in range(10):
        bought = await purchase(app, client, sessions)
        paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
        confirmed, delivered = await asyncio.gather(
            confirm(client, bought, paid.confirmation),
            client.post(WEBHOOK, content=paid.webhook.body, headers=paid.webhook.headers),
        )
        assert confirmed.status_code == 200, confirmed.text
        assert delivered.status_code == 200
        timeline = await stored_timeline(sessions, bought.order_id)
        assert [entry[1] for entry in timeline].count("paid") == 1

    async def all_handled() -> bool:
        return len(await webhook_events(sessions)) == 10

    await wait_for(all_handled)
    await asyncio.sleep(0.3)
    assert all(attempt.status == "captured" for attempt in await attempts(sessions))
    receipt_count = sum("receipt" in str(m["Subject"]) for m in smtp_sink.messages)
    assert receipt_count == 10


async def test_a_webhook_applied_while_the_gateway_answers_the_confirmation_is_not_refunded(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The confirmation reads its attempt, asks the gateway, then applies the answer: the
    gateway's webhook can capture the attempt in between. The confirmation must see that
    capture, not its own earlier read, or it takes the order for paid by another payment and
    refunds this one (the buyer keeps the goods and the money)."""
    bought = await purchase(app, client, sessions)
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
    gateway = sandbox(app)
    answer = gateway.confirm

    async def answer_after_the_webhook(**confirmation: Any) -> GatewayStatus:
        delivered = await client.post(
            WEBHOOK, content=paid.webhook.body, headers=paid.webhook.headers
        )
        assert delivered.status_code == 200

        async def captured() -> bool:
            return [a.status for a in await attempts(sessions)] == ["captured"]

        await wait_for(captured)
        return await answer(**confirmation)

    monkeypatch.setattr(gateway, "confirm", answer_after_the_webhook)

    confirmed = await confirm(client, bought, paid.confirmation)

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["payment"]["status"] == "captured"
    assert [a.status for a in await attempts(sessions)] == ["captured"]
    assert await refunds(sessions) == []
    assert (await order_of(client, bought))["status"] == "paid"
    await asyncio.sleep(0.3)  # no refund notice follows either
    assert not any("refund" in str(m["Subject"]).lower() for m in smtp_sink.messages)


async def test_a_late_failure_never_undoes_a_capture_and_a_later_capture_after_a_failure_counts(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    payment_id = uuid.UUID(bought.payment["payment_id"])
    failed = GatewayStatus("failed", 10000, "INR", "sbx_pay_first")
    captured = GatewayStatus("captured", 10000, "INR", "sbx_pay_second")

    for news in (failed, captured, failed):
        async with unit_of_work(app.state.sessions) as session:
            await apply_outcome(app.state.payments, session, payment_id, news)

    [attempt] = await attempts(sessions)
    assert (attempt.status, attempt.gateway_payment_id) == ("captured", "sbx_pay_second")
    assert (await order_of(client, bought))["status"] == "paid"


async def test_a_capture_of_another_amount_or_currency_is_failed_and_given_back(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for news in (
        GatewayStatus("captured", 100, "INR", "sbx_pay_short"),
        GatewayStatus("captured", 10000, "USD", "sbx_pay_dollars"),
    ):
        bought = await purchase(app, client, sessions)
        payment_id = uuid.UUID(bought.payment["payment_id"])
        async with unit_of_work(app.state.sessions) as session:
            attempt = await apply_outcome(app.state.payments, session, payment_id, news)
            assert attempt.status == "failed"
        assert (await order_of(client, bought))["status"] == "pending_payment"
    assert len(await refunds(sessions)) == 2


async def test_a_payment_for_an_expired_order_takes_the_stock_again_when_it_is_there(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions, stock_quantity=3)
    await _expire(app, sessions, bought.order_id)
    assert await stock(sessions, bought.product_id) == 3
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])

    confirmed = await confirm(client, bought, paid.confirmation)

    assert confirmed.json()["payment"]["status"] == "captured"
    assert (await order_of(client, bought))["status"] == "paid"
    assert await stock(sessions, bought.product_id) == 2


async def test_a_payment_for_an_expired_order_whose_stock_is_gone_is_refunded(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    bought = await purchase(app, client, sessions, stock_quantity=1)
    await _expire(app, sessions, bought.order_id)
    async with unit_of_work(sessions) as session:  # somebody else bought the last one
        await session.execute(update(products_table).values(stock_quantity=0))
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])

    confirmed = await confirm(client, bought, paid.confirmation)

    assert confirmed.json()["payment"]["status"] == "returned"
    assert (await order_of(client, bought))["status"] == "expired"

    async def refunded() -> bool:
        return [r.status for r in await refunds(sessions)] == ["succeeded"]

    await wait_for(refunded)

    async def refund_notice_sent() -> bool:
        return any("refund" in str(m["Subject"]) for m in smtp_sink.messages)

    await wait_for(refund_notice_sent)


async def _expire(app: FastAPI, sessions: async_sessionmaker[AsyncSession], order_id: str) -> None:
    await age_order(sessions, order_id)
    async with unit_of_work(app.state.sessions) as session:
        assert await expire_due_orders(session) == 1


async def test_an_unanswered_payment_stays_pending_until_the_reconciler_settles_it(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    gateway_order_id = bought.payment["gateway_order_id"]
    paid = await sandbox(app).pay(gateway_order_id, "pending")

    waiting = await confirm(client, bought, paid.confirmation)
    assert waiting.status_code == 202
    assert waiting.json()["payment"]["status"] == "pending"

    async with unit_of_work(sessions) as session:
        assert await reconcile(app.state.payments, session) == 0  # too recent to ask about
    await sandbox(app).settle(gateway_order_id, "success")
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(PaymentAttempt).values(created_at=PaymentAttempt.created_at - timedelta(hours=1))
        )
    async with unit_of_work(app.state.sessions) as session:
        assert await reconcile(app.state.payments, session) == 1

    assert (await order_of(client, bought))["status"] == "paid"


async def test_attempts_nobody_pays_do_not_keep_the_reconciler_from_a_paid_one(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Abandoned attempts stay unsettled for a day. The reconciler takes a batch at a time:
    if it always took the oldest, a payment whose webhook was lost behind a full batch of
    abandoned ones would never be applied."""
    abandoned = [await purchase(app, client, sessions) for _ in range(3)]
    bought = await purchase(app, client, sessions)
    await sandbox(app).pay(bought.payment["gateway_order_id"], "success")  # webhook lost
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(PaymentAttempt).values(created_at=PaymentAttempt.created_at - timedelta(hours=1))
        )

    asked: list[int] = []
    for _ in range(2):  # two runs, each a settle delay after the one before
        async with unit_of_work(app.state.sessions) as session:
            asked.append(await reconcile(app.state.payments, session, batch_size=3))
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(PaymentAttempt).values(
                    checked_at=PaymentAttempt.checked_at - timedelta(hours=1)
                )
            )

    assert asked == [0, 1]
    assert (await order_of(client, bought))["status"] == "paid"
    statuses = [(await order_of(client, unpaid))["status"] for unpaid in abandoned]
    assert statuses == ["pending_payment"] * 3


async def test_a_second_capture_for_a_paid_order_is_returned(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    second = await start_payment(client, bought.buyer, bought.order_id)
    first_paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
    second_paid = await sandbox(app).pay(second.json()["payment"]["gateway_order_id"])

    assert (await confirm(client, bought, first_paid.confirmation)).status_code == 200
    late = await client.post(
        f"/api/v1/payments/{second.json()['payment']['payment_id']}/confirm",
        json=second_paid.confirmation,
        headers=bought.buyer.headers,
    )

    assert late.json()["payment"]["status"] == "returned"
    assert sorted(a.status for a in await attempts(sessions)) == ["captured", "returned"]
    assert [r.amount_minor for r in await refunds(sessions)] == [10000]


async def test_cancelling_a_paid_order_refunds_it_in_full(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: SmtpSink,
) -> None:
    bought = await purchase(app, client, sessions)
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
    assert (await confirm(client, bought, paid.confirmation)).status_code == 200

    cancelled = await client.post(
        f"/api/v1/orders/{bought.order_id}/cancel", headers=bought.buyer.headers
    )
    assert cancelled.status_code == 200

    async def refunded() -> bool:
        return bool((await order_of(client, bought))["payment_status"] == "refunded")

    await wait_for(refunded)
    [refund] = await refunds(sessions)
    assert (refund.amount_minor, refund.status) == (10000, "succeeded")
    assert refund.gateway_refund_id is not None


async def test_an_admin_refunds_part_and_never_more_than_was_captured(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
    assert (await confirm(client, bought, paid.confirmation)).status_code == 200
    url = f"/api/v1/admin/payments/{bought.payment['payment_id']}/refunds"
    headers = await admin(app, sessions)

    part = await client.post(url, json={"amount": "30.00", "reason": "Damaged"}, headers=headers)
    too_much = await client.post(url, json={"amount": "70.01", "reason": "Oops"}, headers=headers)
    customer = await client.post(
        url, json={"amount": "1.00", "reason": "Me"}, headers=bought.buyer.headers
    )
    anonymous = await client.post(url, json={"amount": "1.00", "reason": "Me"})

    assert part.status_code == 201, part.text
    assert part.json()["refund"]["amount"] == "30.00"
    assert too_much.status_code == 409
    assert (customer.status_code, anonymous.status_code) == (403, 401)

    async def partly() -> bool:
        status: str = (await order_of(client, bought))["payment_status"]
        return status == "partially_refunded"

    await wait_for(partly)
    [attempt] = await attempts(sessions)
    assert attempt.refunded_minor == 3000


async def test_another_users_payment_is_not_found_for_every_verb(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    stranger = (await purchase(app, client, sessions)).buyer
    paid = await sandbox(app).pay(bought.payment["gateway_order_id"])
    payment_url = f"/api/v1/payments/{bought.payment['payment_id']}"

    assert (await client.get(payment_url, headers=stranger.headers)).status_code == 404
    stolen = await client.post(
        f"{payment_url}/confirm", json=paid.confirmation, headers=stranger.headers
    )
    assert stolen.status_code == 404
    order_payments = f"/api/v1/orders/{bought.order_id}/payments"
    assert (await client.get(order_payments, headers=stranger.headers)).status_code == 404
    assert (await start_payment(client, stranger, bought.order_id)).status_code == 404
    assert (await order_of(client, bought))["status"] == "pending_payment"


async def test_only_an_order_awaiting_payment_can_be_paid(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bought = await purchase(app, client, sessions)
    await set_order_status(sessions, bought.order_id, "cancelled")

    refused = await start_payment(client, bought.buyer, bought.order_id)

    assert refused.status_code == 409
    assert "cancelled" in refused.json()["message"]
