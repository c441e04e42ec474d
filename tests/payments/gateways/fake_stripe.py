"""A local HTTP server speaking the part of Stripe's API that the adapter uses: form-encoded
requests, Bearer secret keys, Idempotency-Key replays (and their refusal for other
parameters), PaymentIntents and refunds, with Stripe's error shape."""

import json
import re
import secrets
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SECRET_KEY = "sk_test_51HqLyjWDarjtT1zdp7dcXWl"
PUBLISHABLE_KEY = "pk_test_TYooMQauvdEDq54NiTphI7jx"


def _error(
    message: str, status: int = 400, type_: str = "invalid_request_error", **extra: str
) -> Response:
    body = {"error": {"type": type_, "message": message, **extra}}
    return Response(json.dumps(body), status=status, content_type="application/json")


def _ok(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json")


class FakeStripe:
    def __init__(self, server: HTTPServer) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._replays: dict[str, tuple[str, dict[str, Any]]] = {}
        server.expect_request(re.compile(r"/v1/.*")).respond_with_handler(self._handle)

    # What happens at Stripe after the client confirms with Stripe.js.
    def succeed(self, intent_id: str) -> None:
        self.intents[intent_id].update(
            status="succeeded", latest_charge=f"ch_{secrets.token_hex(6)}"
        )

    def decline(self, intent_id: str) -> None:
        self.intents[intent_id].update(
            status="requires_payment_method",
            last_payment_error={
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "type": "card_error",
            },
        )

    def set_status(self, intent_id: str, status: str) -> None:
        self.intents[intent_id]["status"] = status

    def _handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return _error("Invalid API Key provided: sk_test_****WXYZ", status=401)
        if (
            request.content_type
            and request.method == "POST"
            and not request.content_type.startswith("application/x-www-form-urlencoded")
        ):
            return _error("Invalid request: Stripe takes form-encoded bodies.")
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or key is None:
            return self._route(request)[0]
        fingerprint = f"{request.path}?{sorted(request.form.items(multi=True))}"
        if key in self._replays:
            earlier, replayed = self._replays[key]
            if earlier != fingerprint:
                return _error(
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                    type_="idempotency_error",
                )
            return _ok(replayed)
        response, answer = self._route(request)
        if answer is not None:
            self._replays[key] = (fingerprint, answer)
        return response

    def _route(self, request: Request) -> tuple[Response, dict[str, Any] | None]:
        if request.path == "/v1/payment_intents" and request.method == "POST":
            return self._create_intent(request.form.to_dict())
        if match := re.fullmatch(r"/v1/payment_intents/([^/]+)", request.path):
            intent = self.intents.get(match[1])
            if intent is None:
                return _error(
                    f"No such payment_intent: '{match[1]}'",
                    status=404,
                    code="resource_missing",
                    param="intent",
                ), None
            return _ok(intent), None
        if request.path == "/v1/refunds" and request.method == "POST":
            return self._refund(request.form.to_dict())
        return _error(f"Unrecognized request URL (POST: {request.path}).", status=404), None

    def _create_intent(self, form: dict[str, str]) -> tuple[Response, dict[str, Any] | None]:
        if not form.get("amount", "").isdigit() or int(form["amount"]) < 50:
            return _error(
                "Amount must be at least $0.50 usd", code="amount_too_small", param="amount"
            ), None
        if form.get("currency") != form.get("currency", "").lower():
            return _error("Invalid currency: currencies are lower case.", param="currency"), None
        intent_id = f"pi_{secrets.token_hex(12)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "amount_received": 0,
            "automatic_payment_methods": {
                "enabled": form.get("automatic_payment_methods[enabled]") == "true"
            },
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
            "currency": form["currency"],
            "latest_charge": None,
            "last_payment_error": None,
            "livemode": False,
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "status": "requires_payment_method",
        }
        self.intents[intent_id] = intent
        return _ok(intent), intent

    def _refund(self, form: dict[str, str]) -> tuple[Response, dict[str, Any] | None]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None:
            return _error("No such payment_intent", status=404, code="resource_missing"), None
        if intent["status"] != "succeeded":
            return _error(
                "This PaymentIntent does not have a successful charge to refund.",
                code="charge_not_refundable",
            ), None
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        amount = int(form.get("amount", intent["amount"] - refunded))
        if amount > intent["amount"] - refunded:
            return _error(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge.",
                code="amount_too_large",
                param="amount",
            ), None
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        return _ok(refund), refund
