"""The Stripe adapter against a local server speaking Stripe's API (fake_stripe.py)."""

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
from storefront.payments.gateways.stripe import API_VERSION, StripeGateway
from tests.payments.gateways.fake_stripe import PUBLISHABLE_KEY, SECRET_KEY, FakeStripe

WEBHOOK_SECRET = "whsec_current_8f2b1c9d7e6a5f4b"
PREVIOUS_WEBHOOK_SECRET = "whsec_previous_1a2b3c4d5e6f7a8b"
KEY = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
NOW = 1_767_225_600  # the webhook tests' clock


def _gateway(api_base: str, *, timeout: float = 5.0) -> StripeGateway:
    return StripeGateway(
        secret_key=SECRET_KEY,
        publishable_key=PUBLISHABLE_KEY,
        webhook_secrets=[WEBHOOK_SECRET, PREVIOUS_WEBHOOK_SECRET],
        api_base=api_base,
        timeout_seconds=timeout,
        now=lambda: NOW,
    )


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeStripe:
    return FakeStripe(httpserver)


@pytest.fixture
async def stripe(httpserver: HTTPServer) -> AsyncIterator[StripeGateway]:
    gateway = _gateway(httpserver.url_for("").rstrip("/"))
    yield gateway
    await gateway.aclose()


async def _intent(stripe: StripeGateway, amount_minor: int = 129900, key: str = KEY) -> str:
    order = await stripe.create_order(
        reference="order 7f3e", amount_minor=amount_minor, currency="INR", idempotency_key=key
    )
    return order.gateway_order_id


# PaymentIntents


async def test_create_order_makes_a_payment_intent_with_the_idempotency_key(
    stripe: StripeGateway, fake: FakeStripe, httpserver: HTTPServer
) -> None:
    order = await stripe.create_order(
        reference="order 7f3e", amount_minor=129900, currency="INR", idempotency_key=KEY
    )

    [intent] = fake.intents.values()
    assert order.gateway_order_id == intent["id"]
    assert (order.amount_minor, order.currency) == (129900, "INR")
    assert order.client == {
        "client_secret": intent["client_secret"],
        "publishable_key": PUBLISHABLE_KEY,
    }
    [(request, _)] = httpserver.log
    assert (request.method, request.path) == ("POST", "/v1/payment_intents")
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Stripe-Version"] == API_VERSION
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form.to_dict() == {
        "amount": "129900",
        "currency": "inr",
        "metadata[reference]": "order 7f3e",
        "automatic_payment_methods[enabled]": "true",
    }


async def test_a_retried_create_returns_the_same_intent(
    stripe: StripeGateway, fake: FakeStripe
) -> None:
    assert await _intent(stripe) == await _intent(stripe)
    assert len(fake.intents) == 1


async def test_the_same_key_for_another_amount_is_refused(
    stripe: StripeGateway, fake: FakeStripe
) -> None:
    await _intent(stripe, 129900)

    with pytest.raises(GatewayRejected) as error:
        await _intent(stripe, 99900)

    assert "same parameters" in error.value.gateway_message
    assert len(fake.intents) == 1


async def test_a_refused_intent_carries_stripes_message_and_code(
    stripe: StripeGateway, fake: FakeStripe
) -> None:
    with pytest.raises(GatewayRejected) as error:
        await _intent(stripe, 10)

    assert (error.value.http_status, error.value.code) == (400, "amount_too_small")
    assert error.value.gateway_message == "Amount must be at least $0.50 usd"


async def test_a_wrong_secret_key_is_refused_without_repeating_it(
    httpserver: HTTPServer, fake: FakeStripe
) -> None:
    gateway = StripeGateway(
        secret_key="sk_test_wrongwrongwrong",
        publishable_key=PUBLISHABLE_KEY,
        webhook_secrets=[WEBHOOK_SECRET],
        api_base=httpserver.url_for("").rstrip("/"),
    )
    with pytest.raises(GatewayRejected) as error:
        await _intent(gateway)
    await gateway.aclose()

    assert error.value.http_status == 401
    assert "sk_test_wrongwrongwrong" not in str(error.value)


# Confirmation and reconciliation: only the PaymentIntent's own status counts


async def test_confirm_trusts_the_intent_not_the_client(
    stripe: StripeGateway, fake: FakeStripe
) -> None:
    intent_id = await _intent(stripe)

    status = await stripe.confirm(
        gateway_order_id=intent_id,
        confirmation={"payment_intent_id": intent_id, "status": "succeeded", "amount": "1"},
    )

    assert status == GatewayStatus("pending", 129900, "INR", None)


async def test_confirm_of_a_succeeded_intent_is_captured(
    stripe: StripeGateway, fake: FakeStripe, httpserver: HTTPServer
) -> None:
    intent_id = await _intent(stripe)
    fake.succeed(intent_id)

    status = await stripe.confirm(gateway_order_id=intent_id, confirmation={})

    assert status == GatewayStatus("captured", 129900, "INR", intent_id)
    request, _ = httpserver.log[-1]
    assert (request.method, request.path) == ("GET", f"/v1/payment_intents/{intent_id}")


async def test_confirm_naming_another_intent_is_refused_without_asking_stripe(
    stripe: StripeGateway, fake: FakeStripe, httpserver: HTTPServer
) -> None:
    ours = await _intent(stripe)
    paid = await _intent(stripe, 100, key="another-key-0001")
    fake.succeed(paid)
    requests_before = len(httpserver.log)

    with pytest.raises(InvalidSignature):
        await stripe.confirm(gateway_order_id=ours, confirmation={"payment_intent_id": paid})

    assert len(httpserver.log) == requests_before


@pytest.mark.parametrize(
    ("stripe_status", "expected"),
    [
        ("requires_payment_method", "pending"),
        ("requires_confirmation", "pending"),
        ("requires_action", "pending"),
        ("processing", "pending"),
        ("requires_capture", "pending"),
        ("canceled", "failed"),
        ("succeeded", "captured"),
    ],
)
async def test_fetch_maps_the_intent_status(
    stripe: StripeGateway, fake: FakeStripe, stripe_status: str, expected: str
) -> None:
    intent_id = await _intent(stripe)
    fake.set_status(intent_id, stripe_status)

    status = await stripe.fetch(intent_id)

    assert status.status == expected
    assert (status.amount_minor, status.currency) == (129900, "INR")


async def test_a_declined_attempt_is_a_failure(stripe: StripeGateway, fake: FakeStripe) -> None:
    intent_id = await _intent(stripe)
    fake.decline(intent_id)

    assert await stripe.fetch(intent_id) == GatewayStatus("failed", 129900, "INR", intent_id)


async def test_fetch_of_an_unknown_intent_is_refused(
    stripe: StripeGateway, fake: FakeStripe
) -> None:
    with pytest.raises(GatewayRejected) as error:
        await stripe.fetch("pi_doesnotexist")

    assert (error.value.http_status, error.value.code) == (404, "resource_missing")


# Refunds


async def test_a_refund_is_idempotent_toward_stripe(
    stripe: StripeGateway, fake: FakeStripe, httpserver: HTTPServer
) -> None:
    intent_id = await _intent(stripe)
    fake.succeed(intent_id)

    first = await stripe.refund(
        gateway_payment_id=intent_id, amount_minor=30000, idempotency_key="refund-0001-abcd"
    )
    again = await stripe.refund(
        gateway_payment_id=intent_id, amount_minor=30000, idempotency_key="refund-0001-abcd"
    )

    assert first == again
    assert (first.status, first.amount_minor) == ("succeeded", 30000)
    assert first.gateway_refund_id.startswith("re_")
    assert len(fake.refunds) == 1
    refund_request, _ = httpserver.log[-1]
    assert refund_request.path == "/v1/refunds"
    assert refund_request.headers["Idempotency-Key"] == "refund-0001-abcd"
    assert refund_request.form.to_dict() == {"payment_intent": intent_id, "amount": "30000"}


async def test_refunds_beyond_the_capture_or_of_an_unpaid_intent_are_refused(
    stripe: StripeGateway, fake: FakeStripe
) -> None:
    unpaid = await _intent(stripe)
    with pytest.raises(GatewayRejected, match="refund") as unpaid_error:
        await stripe.refund(
            gateway_payment_id=unpaid, amount_minor=100, idempotency_key="refund-unpaid-01"
        )
    paid = await _intent(stripe, key="second-intent-01")
    fake.succeed(paid)
    with pytest.raises(GatewayRejected) as too_much:
        await stripe.refund(
            gateway_payment_id=paid, amount_minor=129901, idempotency_key="refund-too-much"
        )

    assert unpaid_error.value.code == "charge_not_refundable"
    assert too_much.value.code == "amount_too_large"
    assert fake.refunds == {}


# Transport failures


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


async def test_a_stripe_slower_than_the_timeout_is_unavailable(
    httpserver: HTTPServer, release: threading.Event
) -> None:
    def slow(request: Request) -> Response:
        release.wait(timeout=10)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/v1/payment_intents/pi_slow").respond_with_handler(slow)
    gateway = _gateway(httpserver.url_for("").rstrip("/"), timeout=0.2)

    with pytest.raises(GatewayUnavailable, match="ReadTimeout"):
        await gateway.fetch("pi_slow")
    await gateway.aclose()


async def test_a_stripe_server_error_is_unavailable(
    stripe: StripeGateway, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/refunds").respond_with_json(
        {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}},
        status=500,
    )

    with pytest.raises(GatewayUnavailable, match="HTTP 500"):
        await stripe.refund(
            gateway_payment_id="pi_1", amount_minor=100, idempotency_key="refund-5xx-0001"
        )


# Webhooks


def _intent_object(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "object": "payment_intent",
        "amount": 129900,
        "amount_received": 129900 if status == "succeeded" else 0,
        "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
        "currency": "inr",
        "latest_charge": "ch_3MtwBwLkdIwHu7ix28a3tqPa" if status == "succeeded" else None,
        "last_payment_error": None,
        "livemode": False,
        "metadata": {"reference": "order 7f3e"},
        "status": status,
        **extra,
    }


def _event(event_type: str, data_object: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
            "object": "event",
            "api_version": API_VERSION,
            "created": NOW,
            "data": {"object": data_object},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    ).encode()


def _digest(body: bytes, timestamp: int, secret: str = WEBHOOK_SECRET) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _signature(
    body: bytes, *, timestamp: int = NOW, secret: str = WEBHOOK_SECRET
) -> dict[str, str]:
    return {"stripe-signature": f"t={timestamp},v1={_digest(body, timestamp, secret)}"}


SUCCEEDED = _event("payment_intent.succeeded", _intent_object("succeeded"))


@pytest.mark.parametrize(
    ("event_type", "data_object", "status", "payment_id"),
    [
        (
            "payment_intent.succeeded",
            _intent_object("succeeded"),
            "captured",
            "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        ),
        (
            "payment_intent.payment_failed",
            _intent_object(
                "requires_payment_method",
                last_payment_error={"code": "card_declined", "type": "card_error"},
            ),
            "failed",
            "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        ),
        (
            "payment_intent.canceled",
            _intent_object("canceled"),
            "failed",
            "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        ),
        ("payment_intent.processing", _intent_object("processing"), "pending", None),
    ],
)
async def test_payment_intent_events_become_webhook_events(
    stripe: StripeGateway,
    event_type: str,
    data_object: dict[str, Any],
    status: str,
    payment_id: str | None,
) -> None:
    body = _event(event_type, data_object)

    assert stripe.parse_webhook(body, _signature(body)) == WebhookEvent(
        event_id="evt_1NG8Du2eZvKYlo2CUI79vXWy",
        event_type=event_type,
        gateway_order_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
        gateway_payment_id=payment_id,
        status=status,  # type: ignore[arg-type]
        amount_minor=129900,
        currency="INR",
    )


async def test_other_events_are_ignored_once_verified(stripe: StripeGateway) -> None:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 100}
    for body in (_event("charge.refunded", charge), _event("customer.created", {"id": "cus_1"})):
        assert stripe.parse_webhook(body, _signature(body)) is None
        with pytest.raises(InvalidSignature):
            stripe.parse_webhook(body, _signature(body, secret="whsec_unrelated"))


async def test_the_previous_secret_is_accepted_during_a_rotation(stripe: StripeGateway) -> None:
    event = stripe.parse_webhook(SUCCEEDED, _signature(SUCCEEDED, secret=PREVIOUS_WEBHOOK_SECRET))

    assert event is not None
    assert event.status == "captured"


async def test_any_v1_of_the_header_may_match(stripe: StripeGateway) -> None:
    """Stripe sends one v1 per active secret while an endpoint's secret is being rolled."""
    header = (
        f"t={NOW},v1={_digest(SUCCEEDED, NOW, 'whsec_rolled_away')},"
        f"v1={_digest(SUCCEEDED, NOW)},v0={'0' * 64}"
    )

    assert stripe.parse_webhook(SUCCEEDED, {"Stripe-Signature": header}) is not None


@pytest.mark.parametrize("skew", [-300, 300])
async def test_a_timestamp_at_the_edge_of_the_tolerance_is_accepted(
    stripe: StripeGateway, skew: int
) -> None:
    assert stripe.parse_webhook(SUCCEEDED, _signature(SUCCEEDED, timestamp=NOW + skew))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"t={NOW - 301},v1={_digest(SUCCEEDED, NOW - 301)}",
        f"t={NOW + 301},v1={_digest(SUCCEEDED, NOW + 301)}",
        f"t={NOW},v1={_digest(SUCCEEDED, NOW, 'whsec_unrelated')}",
        f"t={NOW},v1={_digest(SUCCEEDED, NOW - 1)}",
        f"t={NOW},v0={_digest(SUCCEEDED, NOW)}",
        f"v1={_digest(SUCCEEDED, NOW)}",
        f"t={NOW}",
        f"t={NOW},v1",
        f"t=abc,v1={_digest(SUCCEEDED, NOW)}",
        f"t=-{NOW},v1={_digest(SUCCEEDED, NOW)}",
        f"t=١٧٦٧٢٢٥٦٠٠,v1={_digest(SUCCEEDED, NOW)}",
        "garbage",
        f"t={NOW},v1=ü{_digest(SUCCEEDED, NOW)[1:]}",
    ],
    ids=[
        "missing",
        "empty",
        "old timestamp",
        "future timestamp",
        "unrelated secret",
        "digest of another timestamp",
        "only v0",
        "no timestamp",
        "no digest",
        "digest without value",
        "timestamp not a number",
        "negative timestamp",
        "non-ascii digits",
        "garbage",
        "non-ascii digest",
    ],
)
async def test_webhooks_with_a_bad_signature_header_are_refused(
    stripe: StripeGateway, header: str | None
) -> None:
    headers = {} if header is None else {"Stripe-Signature": header}

    with pytest.raises(InvalidSignature):
        stripe.parse_webhook(SUCCEEDED, headers)


async def test_a_tampered_body_is_refused(stripe: StripeGateway) -> None:
    headers = _signature(SUCCEEDED)
    tampered = SUCCEEDED.replace(b'"amount": 129900', b'"amount": 100', 1)

    with pytest.raises(InvalidSignature):
        stripe.parse_webhook(tampered, headers)


async def test_the_tolerance_is_a_setting(httpserver: HTTPServer) -> None:
    gateway = StripeGateway(
        secret_key=SECRET_KEY,
        publishable_key=PUBLISHABLE_KEY,
        webhook_secrets=[WEBHOOK_SECRET],
        api_base=httpserver.url_for("").rstrip("/"),
        webhook_tolerance_seconds=60,
        now=lambda: NOW,
    )

    with pytest.raises(InvalidSignature, match="tolerance"):
        gateway.parse_webhook(SUCCEEDED, _signature(SUCCEEDED, timestamp=NOW - 61))
    assert gateway.parse_webhook(SUCCEEDED, _signature(SUCCEEDED, timestamp=NOW - 60))
    await gateway.aclose()


async def test_a_signed_body_that_is_not_an_event_is_refused(stripe: StripeGateway) -> None:
    broken = _event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    for body in (b"not json", b"[]", broken):
        with pytest.raises(InvalidSignature):
            stripe.parse_webhook(body, _signature(body))
