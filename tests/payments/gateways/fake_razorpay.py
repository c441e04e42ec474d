"""A local HTTP server speaking the part of Razorpay's API that the adapter uses, with its
documented shapes, errors and rules (basic auth, amounts in subunits, receipts of at most 40
characters, capture only when authorised, X-Refund-Idempotency on refunds)."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

KEY_ID = "rzp_test_1DP5mmOlF5G5ag"
KEY_SECRET = "thisisrazorpaykeysecret0001"


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(7)}"


def _error(description: str, status: int = 400, field: str | None = None) -> Response:
    body: dict[str, Any] = {
        "error": {
            "code": "BAD_REQUEST_ERROR",
            "description": description,
            "source": "business",
            "step": "payment_initiation",
            "reason": "input_validation_failed",
            "metadata": {},
            "field": field,
        }
    }
    return Response(json.dumps(body), status=status, content_type="application/json")


def _ok(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json")


def checkout_signature(order_id: str, payment_id: str, secret: str = KEY_SECRET) -> str:
    """What Razorpay's Checkout hands the client: HMAC-SHA256(key_secret, order|payment)."""
    return hmac.new(
        secret.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256
    ).hexdigest()


class FakeRazorpay:
    def __init__(self, server: HTTPServer) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refund_keys: dict[str, tuple[str, dict[str, Any]]] = {}
        self._clock = int(time.time())
        server.expect_request(re.compile(r"/v1/.*")).respond_with_handler(self._handle)

    # What a customer does in Checkout, and what Razorpay decides.
    def add_payment(self, order_id: str, status: str = "authorized") -> str:
        order = self.orders[order_id]
        self._clock += 1
        payment = {
            "id": _id("pay"),
            "entity": "payment",
            "amount": order["amount"],
            "currency": order["currency"],
            "status": status,
            "order_id": order_id,
            "method": "card",
            "amount_refunded": 0,
            "refund_status": None,
            "captured": status == "captured",
            "error_code": "BAD_REQUEST_ERROR" if status == "failed" else None,
            "created_at": self._clock,
        }
        self.payments[payment["id"]] = payment
        order["attempts"] += 1
        order["status"] = "paid" if status == "captured" else "attempted"
        return str(payment["id"])

    def _handle(self, request: Request) -> Response:
        expected = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _error("The api key provided is invalid", status=401)
        if request.path == "/v1/orders":
            return self._orders(request)
        if match := re.fullmatch(r"/v1/orders/([^/]+)(/payments)?", request.path):
            return self._order(match[1], with_payments=match[2] is not None)
        if match := re.fullmatch(r"/v1/payments/([^/]+)(/capture|/refund)?", request.path):
            return self._payment(request, match[1], match[2] or "")
        return _error("The requested URL was not found on the server.", status=404)

    def _orders(self, request: Request) -> Response:
        if request.method == "POST":
            return self._create_order(request.get_json())
        receipt = request.args.get("receipt")
        items = [o for o in self.orders.values() if receipt is None or o["receipt"] == receipt]
        items = items[: int(request.args.get("count", 10))]
        return _ok({"entity": "collection", "count": len(items), "items": items})

    def _order(self, order_id: str, *, with_payments: bool) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return _error("The id provided does not exist")
        if not with_payments:
            return _ok(order)
        items = [p for p in self.payments.values() if p["order_id"] == order_id]
        return _ok({"entity": "collection", "count": len(items), "items": items})

    def _payment(self, request: Request, payment_id: str, action: str) -> Response:
        payment = self.payments.get(payment_id)
        if payment is None:
            return _error("The id provided does not exist")
        match request.method, action:
            case "GET", "":
                return _ok(payment)
            case "POST", "/capture":
                return self._capture(payment, request.get_json())
            case "POST", "/refund":
                return self._refund(payment, request)
        return _error("The requested URL was not found on the server.", status=404)

    def _create_order(self, body: dict[str, Any]) -> Response:
        amount, receipt = body.get("amount"), body.get("receipt")
        if not isinstance(amount, int) or amount < 100:
            return _error("The amount must be at least INR 1.00", field="amount")
        if receipt is not None and len(receipt) > 40:
            return _error("receipt: the length must be no more than 40.", field="receipt")
        order = {
            "id": _id("order"),
            "entity": "order",
            "amount": amount,
            "amount_paid": 0,
            "amount_due": amount,
            "currency": body["currency"],
            "receipt": receipt,
            "offer_id": None,
            "status": "created",
            "attempts": 0,
            "notes": body.get("notes", []),
            "created_at": self._clock,
        }
        self.orders[order["id"]] = order
        return _ok(order)

    def _capture(self, payment: dict[str, Any], body: dict[str, Any]) -> Response:
        if payment["status"] != "authorized":
            return _error("This payment has already been captured")
        if body.get("amount") != payment["amount"] or body.get("currency") != payment["currency"]:
            return _error("Capture amount must be equal to the amount authorized", field="amount")
        payment.update(status="captured", captured=True)
        self.orders[payment["order_id"]]["status"] = "paid"
        return _ok(payment)

    def _refund(self, payment: dict[str, Any], request: Request) -> Response:
        key = request.headers.get("X-Refund-Idempotency", "")
        body = request.get_json()
        if key in self.refund_keys:
            earlier_body, refund = self.refund_keys[key]
            if earlier_body != json.dumps(body, sort_keys=True):
                return _error(
                    "Different request with the same idempotency key has already been processed."
                )
            return _ok(refund)
        if payment["status"] != "captured":
            return _error("The payment has not been captured")
        amount = body.get("amount", payment["amount"] - payment["amount_refunded"])
        if amount > payment["amount"] - payment["amount_refunded"]:
            return _error(
                "The refund amount provided is greater than amount captured", field="amount"
            )
        payment["amount_refunded"] += amount
        refund = {
            "id": _id("rfnd"),
            "entity": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_id": payment["id"],
            "status": "processed",
            "speed_processed": "normal",
        }
        if key:
            self.refund_keys[key] = (json.dumps(body, sort_keys=True), refund)
        return _ok(refund)
