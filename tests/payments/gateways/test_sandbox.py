"""The sandbox gateway: its own ids and tables, outcomes chosen by amount or by name, signed
confirmations and webhooks that it verifies itself, and refunds that never exceed the capture."""

import json
import time

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.payments.gateways.base import (
    GatewayRejected,
    GatewayStatus,
    InvalidSignature,
    WebhookEvent,
)
from storefront.payments.gateways.sandbox import SandboxGateway
from storefront.payments.gateways.sandbox_models import (
    SandboxGatewayPayment,
    SandboxGatewayRefund,
)

SECRET_KEY = "test-secret-key-for-the-sandbox-0123456789"
KEY = "b1e5f7c0-3a2d-4e8f-9c6b-5d4a3f2e1c0b"

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def sandbox(sessions: Sessions) -> SandboxGateway:
    return SandboxGateway(sessions, secret_key=SECRET_KEY)


async def _row(sessions: Sessions, gateway_order_id: str) -> SandboxGatewayPayment:
    async with sessions() as session:
        row = await session.get(SandboxGatewayPayment, gateway_order_id)
    assert row is not None
    return row


async def _order(sandbox: SandboxGateway, amount_minor: int = 129900, key: str = KEY) -> str:
    order = await sandbox.create_order(
        reference="order 7f3e", amount_minor=amount_minor, currency="INR", idempotency_key=key
    )
    return order.gateway_order_id


async def test_create_order_keeps_the_order_in_the_sandbox_table(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    order = await sandbox.create_order(
        reference="order 7f3e", amount_minor=129900, currency="inr", idempotency_key=KEY
    )

    assert order.gateway_order_id.startswith("sbx_order_")
    assert (order.amount_minor, order.currency) == (129900, "INR")
    assert order.client == {"order_id": order.gateway_order_id}
    row = await _row(sessions, order.gateway_order_id)
    assert (row.reference, row.idempotency_key, row.amount_minor, row.currency) == (
        "order 7f3e",
        KEY,
        129900,
        "INR",
    )
    assert (row.status, row.gateway_payment_id, row.refunded_minor) == ("created", None, 0)
    assert await sandbox.fetch(order.gateway_order_id) == GatewayStatus(
        "pending", 129900, "INR", None
    )


async def test_the_same_idempotency_key_returns_the_same_order(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    first = await _order(sandbox)
    second = await _order(sandbox)
    with pytest.raises(GatewayRejected, match="another amount"):
        await _order(sandbox, 99900)

    assert first == second
    async with sessions() as session:
        assert len((await session.scalars(select(SandboxGatewayPayment))).all()) == 1


@pytest.mark.parametrize("amount_minor", [0, -100])
async def test_an_amount_that_is_not_positive_is_refused(
    sandbox: SandboxGateway, amount_minor: int
) -> None:
    with pytest.raises(GatewayRejected):
        await _order(sandbox, amount_minor)


@pytest.mark.parametrize(
    ("amount_minor", "outcome", "status"),
    [
        (129900, "success", "captured"),
        (129901, "failure", "failed"),
        (129902, "pending", "pending"),
        (100003, "success", "captured"),
        (100, "success", "captured"),
    ],
)
async def test_the_amount_chooses_the_outcome(
    sandbox: SandboxGateway,
    sessions: Sessions,
    amount_minor: int,
    outcome: str,
    status: str,
) -> None:
    order_id = await _order(sandbox, amount_minor)

    payment = await sandbox.pay(order_id)

    assert payment.outcome == outcome
    assert payment.gateway_payment_id.startswith("sbx_pay_")
    row = await _row(sessions, order_id)
    assert (row.status, row.gateway_payment_id) == (status, payment.gateway_payment_id)
    assert await sandbox.fetch(order_id) == GatewayStatus(
        status,  # type: ignore[arg-type]
        amount_minor,
        "INR",
        payment.gateway_payment_id,
    )


@pytest.mark.parametrize(
    ("outcome", "status"), [("success", "captured"), ("failure", "failed"), ("pending", "pending")]
)
async def test_a_named_outcome_wins_over_the_amount(
    sandbox: SandboxGateway, sessions: Sessions, outcome: str, status: str
) -> None:
    order_id = await _order(sandbox, 129901 if outcome == "success" else 129900)

    payment = await sandbox.pay(order_id, outcome)  # type: ignore[arg-type]

    assert payment.outcome == outcome
    assert (await _row(sessions, order_id)).status == status


async def test_its_own_confirm_verifies_the_signature_and_reports_the_outcome(
    sandbox: SandboxGateway,
) -> None:
    order_id = await _order(sandbox)
    payment = await sandbox.pay(order_id)

    status = await sandbox.confirm(gateway_order_id=order_id, confirmation=payment.confirmation)

    assert status == GatewayStatus("captured", 129900, "INR", payment.gateway_payment_id)
    assert payment.confirmation == {
        "gateway_payment_id": payment.gateway_payment_id,
        "signature": payment.signature,
    }


async def test_a_failed_payment_confirms_as_failed(sandbox: SandboxGateway) -> None:
    order_id = await _order(sandbox, 129901)
    payment = await sandbox.pay(order_id)

    status = await sandbox.confirm(gateway_order_id=order_id, confirmation=payment.confirmation)

    assert status.status == "failed"


def _flip(signature: str) -> str:
    return ("1" if signature[0] == "0" else "0") + signature[1:]


async def test_tampered_confirmations_are_refused(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    order_id = await _order(sandbox)
    other_id = await _order(sandbox, 100, key="another-key-0001")
    payment = await sandbox.pay(order_id)
    another_sandbox = SandboxGateway(sessions, secret_key="another-secret-key-entirely")
    forged = await another_sandbox.pay(other_id)

    for gateway_order_id, confirmation in [
        (order_id, {**payment.confirmation, "signature": _flip(payment.signature)}),
        (order_id, {"gateway_payment_id": payment.gateway_payment_id}),
        (order_id, {"signature": payment.signature}),
        (other_id, payment.confirmation),  # a confirmation presented for another order
        (other_id, forged.confirmation),  # signed with another key
    ]:
        with pytest.raises(InvalidSignature):
            await sandbox.confirm(gateway_order_id=gateway_order_id, confirmation=confirmation)


async def test_a_superseded_payment_does_not_confirm(sandbox: SandboxGateway) -> None:
    order_id = await _order(sandbox)
    failed = await sandbox.pay(order_id, "failure")
    await sandbox.pay(order_id, "success")

    with pytest.raises(GatewayRejected):
        await sandbox.confirm(gateway_order_id=order_id, confirmation=failed.confirmation)


async def test_a_failed_order_can_be_paid_again_but_a_captured_one_cannot(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    order_id = await _order(sandbox, 129901)
    failed = await sandbox.pay(order_id)
    paid = await sandbox.pay(order_id, "success")

    with pytest.raises(GatewayRejected, match="already captured"):
        await sandbox.pay(order_id)
    assert failed.gateway_payment_id != paid.gateway_payment_id
    row = await _row(sessions, order_id)
    assert (row.status, row.gateway_payment_id) == ("captured", paid.gateway_payment_id)


async def test_a_pending_payment_is_settled_later(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    order_id = await _order(sandbox, 129902)
    payment = await sandbox.pay(order_id)
    assert (await sandbox.fetch(order_id)).status == "pending"

    webhook = await sandbox.settle(order_id, "success")

    assert await sandbox.fetch(order_id) == GatewayStatus(
        "captured", 129902, "INR", payment.gateway_payment_id
    )
    event = sandbox.parse_webhook(webhook.body, webhook.headers)
    assert event is not None
    assert (event.event_type, event.status) == ("payment.captured", "captured")
    with pytest.raises(GatewayRejected, match="not pending"):
        await sandbox.settle(order_id, "failure")
    assert (await _row(sessions, order_id)).status == "captured"


async def test_settle_can_fail_a_pending_payment(sandbox: SandboxGateway) -> None:
    order_id = await _order(sandbox, 129902)
    await sandbox.pay(order_id)

    webhook = await sandbox.settle(order_id, "failure")

    assert (await sandbox.fetch(order_id)).status == "failed"
    event = sandbox.parse_webhook(webhook.body, webhook.headers)
    assert event is not None
    assert event.status == "failed"


async def test_unknown_orders_are_refused(sandbox: SandboxGateway) -> None:
    for call in (
        sandbox.fetch("sbx_order_unknown"),
        sandbox.pay("sbx_order_unknown"),
        sandbox.settle("sbx_order_unknown", "success"),
    ):
        with pytest.raises(GatewayRejected) as error:
            await call
        assert error.value.http_status == 404


# Webhooks


@pytest.mark.parametrize(
    ("amount_minor", "event_type", "status"),
    [
        (129900, "payment.captured", "captured"),
        (129901, "payment.failed", "failed"),
        (129902, "payment.pending", "pending"),
    ],
)
async def test_each_payment_comes_with_a_signed_webhook(
    sandbox: SandboxGateway, amount_minor: int, event_type: str, status: str
) -> None:
    order_id = await _order(sandbox, amount_minor)
    payment = await sandbox.pay(order_id)

    event = sandbox.parse_webhook(payment.webhook.body, payment.webhook.headers)

    assert event is not None
    assert event.event_id.startswith("sbx_evt_")
    assert event == WebhookEvent(
        event_id=event.event_id,
        event_type=event_type,
        gateway_order_id=order_id,
        gateway_payment_id=payment.gateway_payment_id,
        status=status,  # type: ignore[arg-type]
        amount_minor=amount_minor,
        currency="INR",
    )
    assert payment.webhook.headers["Content-Type"] == "application/json"


async def test_tampered_forged_and_old_webhooks_are_refused(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    order_id = await _order(sandbox, 129901)
    webhook = (await sandbox.pay(order_id)).webhook
    late_sandbox = SandboxGateway(sessions, secret_key=SECRET_KEY, now=lambda: time.time() - 301)
    other_id = await _order(sandbox, key="late-order-key-01")
    old = (await late_sandbox.pay(other_id)).webhook
    forger = SandboxGateway(sessions, secret_key="another-secret-key-entirely")
    forged = (await forger.pay(await _order(sandbox, key="forged-order-key-1"))).webhook
    tampered_body = json.loads(webhook.body)
    tampered_body["data"]["status"] = "captured"

    for body, headers in [
        (json.dumps(tampered_body).encode(), webhook.headers),
        (webhook.body, {"Content-Type": "application/json"}),
        (old.body, old.headers),
        (forged.body, forged.headers),
    ]:
        with pytest.raises(InvalidSignature):
            sandbox.parse_webhook(body, headers)
    assert late_sandbox.parse_webhook(old.body, old.headers) is not None


# Refunds


async def test_refunds_add_up_to_the_capture_and_never_beyond(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    order_id = await _order(sandbox)
    payment_id = (await sandbox.pay(order_id)).gateway_payment_id

    first = await sandbox.refund(
        gateway_payment_id=payment_id, amount_minor=100000, idempotency_key="refund-0001-aaaa"
    )
    second = await sandbox.refund(
        gateway_payment_id=payment_id, amount_minor=29900, idempotency_key="refund-0002-bbbb"
    )
    with pytest.raises(GatewayRejected, match="exceeds"):
        await sandbox.refund(
            gateway_payment_id=payment_id, amount_minor=1, idempotency_key="refund-0003-cccc"
        )

    assert first.gateway_refund_id.startswith("sbx_rfnd_")
    assert (first.status, first.amount_minor, second.amount_minor) == ("succeeded", 100000, 29900)
    assert (await _row(sessions, order_id)).refunded_minor == 129900
    async with sessions() as session:
        refunds = (await session.scalars(select(SandboxGatewayRefund))).all()
    assert sorted(r.amount_minor for r in refunds) == [29900, 100000]


async def test_a_retried_refund_refunds_once(sandbox: SandboxGateway, sessions: Sessions) -> None:
    order_id = await _order(sandbox)
    payment_id = (await sandbox.pay(order_id)).gateway_payment_id

    first = await sandbox.refund(
        gateway_payment_id=payment_id, amount_minor=5000, idempotency_key="refund-0001-aaaa"
    )
    again = await sandbox.refund(
        gateway_payment_id=payment_id, amount_minor=5000, idempotency_key="refund-0001-aaaa"
    )
    with pytest.raises(GatewayRejected, match="another refund"):
        await sandbox.refund(
            gateway_payment_id=payment_id, amount_minor=6000, idempotency_key="refund-0001-aaaa"
        )

    assert first == again
    assert (await _row(sessions, order_id)).refunded_minor == 5000


async def test_only_a_captured_payment_can_be_refunded(
    sandbox: SandboxGateway, sessions: Sessions
) -> None:
    order_id = await _order(sandbox, 129901)
    payment_id = (await sandbox.pay(order_id)).gateway_payment_id

    with pytest.raises(GatewayRejected, match="captured"):
        await sandbox.refund(
            gateway_payment_id=payment_id, amount_minor=100, idempotency_key="refund-failed-01"
        )
    with pytest.raises(GatewayRejected, match="No such payment"):
        await sandbox.refund(
            gateway_payment_id="sbx_pay_unknown", amount_minor=100, idempotency_key="refund-xx-01"
        )

    assert (await _row(sessions, order_id)).refunded_minor == 0
