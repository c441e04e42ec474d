"""The Razorpay adapter against a local server speaking Razorpay's API (fake_razorpay.py)."""

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from storefront.payments.gateways.base import (
    GatewayRejected,
    GatewayStatus,
    GatewayUnavailable,
    InvalidSignature,
    WebhookEvent,
)
from storefront.payments.gateways.razorpay import RazorpayGateway
from tests.payments.gateways.fake_razorpay import (
    KEY_ID,
    KEY_SECRET,
    FakeRazorpay,
    checkout_signature,
)

WEBHOOK_SECRET = "rzp-webhook-secret-current"
PREVIOUS_WEBHOOK_SECRET = "rzp-webhook-secret-previous"
KEY = "3f1c2a9e-5b7d-4c1e-9a2f-0d4b6e8c1a57"
CLOSED_PORT = 1


def _gateway(api_base: str, *, timeout: float = 5.0) -> RazorpayGateway:
    return RazorpayGateway(
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        webhook_secrets=[WEBHOOK_SECRET, PREVIOUS_WEBHOOK_SECRET],
        api_base=api_base,
        timeout_seconds=timeout,
    )


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeRazorpay:
    return FakeRazorpay(httpserver)


@pytest.fixture
async def razorpay(httpserver: HTTPServer) -> AsyncIterator[RazorpayGateway]:
    gateway = _gateway(httpserver.url_for("").rstrip("/"))
    yield gateway
    await gateway.aclose()


def _requests(httpserver: HTTPServer) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request, _ in httpserver.log]


async def _order(razorpay: RazorpayGateway, amount_minor: int = 129900) -> str:
    order = await razorpay.create_order(
        reference="order 7f3e", amount_minor=amount_minor, currency="INR", idempotency_key=KEY
    )
    return order.gateway_order_id


# Orders


async def test_create_order_sends_the_amount_with_our_key_as_receipt(
    razorpay: RazorpayGateway, fake: FakeRazorpay, httpserver: HTTPServer
) -> None:
    order = await razorpay.create_order(
        reference="order 7f3e", amount_minor=129900, currency="INR", idempotency_key=KEY
    )

    [stored] = fake.orders.values()
    assert stored["amount"] == 129900
    assert stored["currency"] == "INR"
    assert stored["receipt"] == KEY
    assert stored["notes"] == {"reference": "order 7f3e"}
    assert order.gateway_order_id == stored["id"]
    assert order.amount_minor == 129900
    assert order.currency == "INR"
    assert order.client == {"key_id": KEY_ID, "order_id": stored["id"]}
    credentials = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
    assert all(r.headers["Authorization"] == f"Basic {credentials}" for r, _ in httpserver.log)
    [(create, _)] = [(r, a) for r, a in httpserver.log if r.method == "POST"]
    assert create.path == "/v1/orders"
    assert create.get_json() == {
        "amount": 129900,
        "currency": "INR",
        "receipt": KEY,
        "notes": {"reference": "order 7f3e"},
    }


async def test_a_retried_create_finds_the_order_instead_of_making_another(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    first = await _order(razorpay)
    second = await _order(razorpay)

    assert first == second
    assert len(fake.orders) == 1


async def test_the_same_key_for_another_amount_is_refused(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    await _order(razorpay, 129900)

    with pytest.raises(GatewayRejected):
        await _order(razorpay, 99900)

    assert len(fake.orders) == 1


async def test_a_refused_order_carries_razorpays_message(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    with pytest.raises(GatewayRejected) as error:
        await _order(razorpay, 50)

    assert error.value.http_status == 400
    assert error.value.code == "BAD_REQUEST_ERROR"
    assert error.value.gateway_message == "The amount must be at least INR 1.00"
    assert fake.orders == {}


async def test_wrong_credentials_are_a_refusal_that_does_not_repeat_the_secret(
    httpserver: HTTPServer, fake: FakeRazorpay
) -> None:
    gateway = RazorpayGateway(
        key_id=KEY_ID,
        key_secret="not-the-secret-0123",
        webhook_secrets=[WEBHOOK_SECRET],
        api_base=httpserver.url_for("").rstrip("/"),
    )
    with pytest.raises(GatewayRejected) as error:
        await _order(gateway)
    await gateway.aclose()

    assert error.value.http_status == 401
    assert "not-the-secret-0123" not in str(error.value)
    assert "not-the-secret-0123" not in error.value.message


@pytest.mark.parametrize("key", ["short", "x" * 41, "has space 12345", "ümlaut-key-123"])
async def test_an_unusable_idempotency_key_is_refused_before_any_request(
    razorpay: RazorpayGateway, fake: FakeRazorpay, httpserver: HTTPServer, key: str
) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        await razorpay.create_order(
            reference="r", amount_minor=129900, currency="INR", idempotency_key=key
        )

    assert httpserver.log == []


# Confirmation


async def test_confirm_verifies_the_signature_and_captures_the_authorised_payment(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "authorized")

    status = await razorpay.confirm(
        gateway_order_id=order_id,
        confirmation={
            "gateway_payment_id": payment_id,
            "signature": checkout_signature(order_id, payment_id),
        },
    )

    assert status == GatewayStatus("captured", 129900, "INR", payment_id)
    assert fake.payments[payment_id]["status"] == "captured"
    assert fake.orders[order_id]["status"] == "paid"


async def test_confirm_of_an_auto_captured_payment_does_not_capture_again(
    razorpay: RazorpayGateway, fake: FakeRazorpay, httpserver: HTTPServer
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "captured")
    signature = checkout_signature(order_id, payment_id)

    status = await razorpay.confirm(
        gateway_order_id=order_id,
        confirmation={"gateway_payment_id": payment_id, "signature": signature},
    )

    assert status.status == "captured"
    assert ("POST", f"/v1/payments/{payment_id}/capture") not in _requests(httpserver)


async def test_a_capture_that_loses_the_race_to_auto_capture_is_still_captured(
    razorpay: RazorpayGateway, fake: FakeRazorpay, httpserver: HTTPServer
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "authorized")
    original = fake._capture

    def auto_captured_meanwhile(payment: dict[str, Any], body: dict[str, Any]) -> Response:
        payment.update(status="captured", captured=True)
        return original(payment, body)

    fake._capture = auto_captured_meanwhile  # type: ignore[method-assign]

    status = await razorpay.confirm(
        gateway_order_id=order_id,
        confirmation={
            "gateway_payment_id": payment_id,
            "signature": checkout_signature(order_id, payment_id),
        },
    )

    assert status == GatewayStatus("captured", 129900, "INR", payment_id)
    assert _requests(httpserver)[-2:] == [
        ("POST", f"/v1/payments/{payment_id}/capture"),
        ("GET", f"/v1/payments/{payment_id}"),
    ]


async def test_confirm_of_a_failed_payment_reports_the_failure(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "failed")

    status = await razorpay.confirm(
        gateway_order_id=order_id,
        confirmation={
            "gateway_payment_id": payment_id,
            "signature": checkout_signature(order_id, payment_id),
        },
    )

    assert status == GatewayStatus("failed", 129900, "INR", payment_id)


async def test_a_signature_for_another_order_is_refused_before_asking_razorpay(
    razorpay: RazorpayGateway, fake: FakeRazorpay, httpserver: HTTPServer
) -> None:
    """The client paid a cheap order and presents that payment for an expensive one: the
    signature is checked over the order id WE stored, so it fails."""
    ours = await _order(razorpay, 129900)
    cheap = (
        await razorpay.create_order(
            reference="cheap", amount_minor=100, currency="INR", idempotency_key="other-key-123"
        )
    ).gateway_order_id
    payment_id = fake.add_payment(cheap, "captured")
    requests_before = len(httpserver.log)

    with pytest.raises(InvalidSignature):
        await razorpay.confirm(
            gateway_order_id=ours,
            confirmation={
                "gateway_payment_id": payment_id,
                "signature": checkout_signature(cheap, payment_id),
            },
        )

    assert len(httpserver.log) == requests_before


@pytest.mark.parametrize(
    "confirmation",
    [
        {},
        {"gateway_payment_id": "pay_29QQoUBi66xm2f"},
        {"signature": "0" * 64},
        {"gateway_payment_id": "pay_29QQoUBi66xm2f", "signature": ""},
        {"gateway_payment_id": "pay_29QQoUBi66xm2f", "signature": "0" * 64},
        {"gateway_payment_id": "pay_29QQoUBi66xm2f", "signature": "not hex ü"},
    ],
    ids=["nothing", "no signature", "no payment", "empty signature", "wrong", "garbage"],
)
async def test_confirmations_without_a_valid_signature_are_refused(
    razorpay: RazorpayGateway, fake: FakeRazorpay, confirmation: dict[str, str]
) -> None:
    order_id = await _order(razorpay)

    with pytest.raises(InvalidSignature):
        await razorpay.confirm(gateway_order_id=order_id, confirmation=confirmation)


async def test_a_signature_made_with_another_secret_is_refused(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "authorized")

    with pytest.raises(InvalidSignature):
        await razorpay.confirm(
            gateway_order_id=order_id,
            confirmation={
                "gateway_payment_id": payment_id,
                "signature": checkout_signature(order_id, payment_id, secret=WEBHOOK_SECRET),
            },
        )

    assert fake.payments[payment_id]["status"] == "authorized"


# Reconciliation


async def test_fetch_of_an_order_nobody_paid_is_pending(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)

    assert await razorpay.fetch(order_id) == GatewayStatus("pending", 129900, "INR", None)


async def test_fetch_captures_an_authorised_payment(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "authorized")

    assert await razorpay.fetch(order_id) == GatewayStatus("captured", 129900, "INR", payment_id)
    assert fake.payments[payment_id]["status"] == "captured"


async def test_fetch_prefers_the_captured_payment_over_earlier_failures(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    fake.add_payment(order_id, "failed")
    captured = fake.add_payment(order_id, "captured")
    fake.add_payment(order_id, "failed")

    assert await razorpay.fetch(order_id) == GatewayStatus("captured", 129900, "INR", captured)


async def test_fetch_reports_the_latest_failure_when_every_payment_failed(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    fake.add_payment(order_id, "failed")
    latest = fake.add_payment(order_id, "failed")

    assert await razorpay.fetch(order_id) == GatewayStatus("failed", 129900, "INR", latest)


async def test_fetch_of_a_payment_in_progress_is_pending(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    fake.add_payment(order_id, "failed")
    in_progress = fake.add_payment(order_id, "created")

    assert await razorpay.fetch(order_id) == GatewayStatus("pending", 129900, "INR", in_progress)


# Refunds


async def test_a_refund_sends_its_idempotency_key_and_a_retry_refunds_once(
    razorpay: RazorpayGateway, fake: FakeRazorpay, httpserver: HTTPServer
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "captured")
    refund_key = "refund-5d1c8e0a-0001"

    first = await razorpay.refund(
        gateway_payment_id=payment_id, amount_minor=30000, idempotency_key=refund_key
    )
    again = await razorpay.refund(
        gateway_payment_id=payment_id, amount_minor=30000, idempotency_key=refund_key
    )

    assert first == again
    assert first.status == "succeeded"
    assert first.amount_minor == 30000
    assert first.gateway_refund_id.startswith("rfnd_")
    assert fake.payments[payment_id]["amount_refunded"] == 30000
    refunds = [r for r, _ in httpserver.log if r.path.endswith("/refund")]
    assert [r.path for r in refunds] == [f"/v1/payments/{payment_id}/refund"] * 2
    assert {r.headers["X-Refund-Idempotency"] for r in refunds} == {refund_key}
    assert refunds[0].get_json() == {"amount": 30000}


async def test_a_refund_beyond_the_capture_is_refused(
    razorpay: RazorpayGateway, fake: FakeRazorpay
) -> None:
    order_id = await _order(razorpay)
    payment_id = fake.add_payment(order_id, "captured")

    with pytest.raises(GatewayRejected) as error:
        await razorpay.refund(
            gateway_payment_id=payment_id, amount_minor=129901, idempotency_key="refund-too-much"
        )

    assert "greater than amount captured" in error.value.gateway_message
    assert fake.payments[payment_id]["amount_refunded"] == 0


# Transport failures: the outcome is unknown, so the caller keeps the attempt pending


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


async def test_a_gateway_slower_than_the_timeout_is_unavailable(
    httpserver: HTTPServer, release: threading.Event
) -> None:
    def slow(request: Request) -> Response:
        release.wait(timeout=10)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/v1/orders").respond_with_handler(slow)
    gateway = _gateway(httpserver.url_for("").rstrip("/"), timeout=0.2)

    with pytest.raises(GatewayUnavailable, match="ReadTimeout"):
        await _order(gateway)
    await gateway.aclose()


@pytest.mark.parametrize("status", [500, 502, 503, 429, 409])
async def test_server_errors_throttling_and_conflicts_are_unavailable(
    razorpay: RazorpayGateway, httpserver: HTTPServer, status: int
) -> None:
    httpserver.expect_request("/v1/orders").respond_with_data("upstream trouble", status=status)

    with pytest.raises(GatewayUnavailable, match=f"HTTP {status}"):
        await _order(razorpay)


async def test_an_answer_that_is_not_json_is_unavailable(
    razorpay: RazorpayGateway, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/orders").respond_with_data("<html>hello</html>")

    with pytest.raises(GatewayUnavailable, match="not JSON"):
        await _order(razorpay)


async def test_an_answer_of_the_wrong_shape_is_unavailable(
    razorpay: RazorpayGateway, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/orders").respond_with_json({"entity": "collection"})

    with pytest.raises(GatewayUnavailable, match="unexpected"):
        await _order(razorpay)


async def test_an_unreachable_gateway_is_unavailable() -> None:
    gateway = _gateway(f"http://127.0.0.1:{CLOSED_PORT}")

    with pytest.raises(GatewayUnavailable, match="could not be reached") as error:
        await _order(gateway)
    await gateway.aclose()

    assert KEY_SECRET not in str(error.value)


# Webhooks


def _payment_entity(status: str, order_id: str = "order_DESlLckIVRkHWj") -> dict[str, Any]:
    return {
        "id": "pay_DESlfW9H8K9uqM",
        "entity": "payment",
        "amount": 129900,
        "currency": "INR",
        "status": status,
        "order_id": order_id,
        "invoice_id": None,
        "international": False,
        "method": "netbanking",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": status == "captured",
        "bank": "HDFC",
        "email": "gaurav.kumar@example.com",
        "contact": "+919876543210",
        "notes": [],
        "fee": 2,
        "tax": 0,
        "error_code": None,
        "created_at": 1567674599,
    }


def _webhook_body(event: str, status: str = "captured") -> bytes:
    payload: dict[str, Any] = {"payment": {"entity": _payment_entity(status)}}
    if event == "order.paid":
        payload["order"] = {
            "entity": {
                "id": "order_DESlLckIVRkHWj",
                "entity": "order",
                "amount": 129900,
                "amount_paid": 129900,
                "amount_due": 0,
                "currency": "INR",
                "receipt": KEY,
                "status": "paid",
                "attempts": 1,
                "created_at": 1567674581,
            }
        }
    return json.dumps(
        {
            "entity": "event",
            "account_id": "acc_BFQ7uQEaa7j2z7",
            "event": event,
            "contains": list(payload),
            "payload": payload,
            "created_at": 1567674606,
        }
    ).encode()


def _signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "x-razorpay-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "x-razorpay-event-id": "KEwsLZfHl9jAVN",
        "content-type": "application/json",
    }


@pytest.mark.parametrize(
    ("event", "status", "expected"),
    [("payment.captured", "captured", "captured"), ("payment.failed", "failed", "failed")],
)
async def test_payment_webhooks_become_events(
    razorpay: RazorpayGateway, event: str, status: str, expected: str
) -> None:
    body = _webhook_body(event, status)

    parsed = razorpay.parse_webhook(body, _signed(body))

    assert parsed == WebhookEvent(
        event_id="KEwsLZfHl9jAVN",
        event_type=event,
        gateway_order_id="order_DESlLckIVRkHWj",
        gateway_payment_id="pay_DESlfW9H8K9uqM",
        status=expected,  # type: ignore[arg-type]
        amount_minor=129900,
        currency="INR",
    )


async def test_order_paid_names_the_order_and_its_payment(razorpay: RazorpayGateway) -> None:
    body = _webhook_body("order.paid")

    parsed = razorpay.parse_webhook(body, _signed(body))

    assert parsed is not None
    assert (parsed.event_type, parsed.status) == ("order.paid", "captured")
    assert (parsed.gateway_order_id, parsed.gateway_payment_id) == (
        "order_DESlLckIVRkHWj",
        "pay_DESlfW9H8K9uqM",
    )


async def test_other_events_are_ignored_once_verified(razorpay: RazorpayGateway) -> None:
    body = _webhook_body("payment.authorized", "authorized")

    assert razorpay.parse_webhook(body, _signed(body)) is None
    with pytest.raises(InvalidSignature):
        razorpay.parse_webhook(body, _signed(body, secret="someone-else"))


async def test_the_previous_secret_is_accepted_during_a_rotation(
    razorpay: RazorpayGateway,
) -> None:
    body = _webhook_body("payment.captured")

    parsed = razorpay.parse_webhook(body, _signed(body, secret=PREVIOUS_WEBHOOK_SECRET))

    assert parsed is not None
    assert parsed.status == "captured"


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key != name}


@pytest.mark.parametrize(
    "case",
    [
        "missing signature",
        "empty signature",
        "unrelated secret",
        "key secret instead of webhook secret",
        "tampered body",
        "signature of another body",
        "missing event id",
    ],
)
async def test_webhooks_that_fail_verification_are_refused(
    razorpay: RazorpayGateway, case: str
) -> None:
    body = _webhook_body("payment.captured")
    headers = _signed(body)
    match case:
        case "missing signature":
            headers = _without(headers, "x-razorpay-signature")
        case "empty signature":
            headers["x-razorpay-signature"] = ""
        case "unrelated secret":
            headers = _signed(body, secret="an-unrelated-secret")
        case "key secret instead of webhook secret":
            headers = _signed(body, secret=KEY_SECRET)
        case "tampered body":
            body = body.replace(b'"amount": 129900', b'"amount": 999900', 1)
        case "signature of another body":
            headers = _signed(_webhook_body("payment.failed", "failed"))
        case "missing event id":
            headers = _without(headers, "x-razorpay-event-id")

    with pytest.raises(InvalidSignature):
        razorpay.parse_webhook(body, headers)


async def test_a_signed_body_that_is_not_an_event_is_refused(razorpay: RazorpayGateway) -> None:
    for body in (b"not json", b"[1, 2]", json.dumps({"event": "payment.captured"}).encode()):
        with pytest.raises(InvalidSignature):
            razorpay.parse_webhook(body, _signed(body))


async def test_without_a_webhook_secret_every_webhook_is_refused(httpserver: HTTPServer) -> None:
    gateway = RazorpayGateway(
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        webhook_secrets=["", ""],
        api_base=httpserver.url_for("").rstrip("/"),
    )
    body = _webhook_body("payment.captured")

    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, _signed(body, secret=""))
    await gateway.aclose()
