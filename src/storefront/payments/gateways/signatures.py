"""HMAC-SHA256 signatures as the gateways use them: hex digests compared in constant time,
checked against the current secret and, during a rotation, the previous one."""

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence

from storefront.payments.gateways.base import InvalidSignature

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{10,40}")


def check_idempotency_key(key: str) -> None:
    """One rule that every gateway accepts: Razorpay wants 10+ characters of letters, digits,
    '-' and '_' for refunds and at most 40 for a receipt; Stripe takes up to 255."""
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValueError("An idempotency key is 10 to 40 letters, digits, '-' or '_'.")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name in any case, from Starlette's headers or a plain dict."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def matches_any(signature: str, message: bytes, secrets: Sequence[str]) -> bool:
    given = signature.encode()
    return any(hmac.compare_digest(given, hmac_sha256_hex(s, message).encode()) for s in secrets)


def verify_plain(signature: str | None, message: bytes, secrets: Sequence[str]) -> None:
    """A bare hex digest of the message (Razorpay's confirmations and webhooks)."""
    if not signature:
        raise InvalidSignature("The signature is missing.")
    if not secrets or not matches_any(signature, message, secrets):
        raise InvalidSignature()


def sign_checkout(key_secret: str, gateway_order_id: str, payment_id: str) -> str:
    """Razorpay Checkout's signature: the hex HMAC of `order_id|payment_id` under the key secret."""
    return hmac_sha256_hex(key_secret, _checkout_message(gateway_order_id, payment_id))


def verified_checkout_payment(
    confirmation: Mapping[str, str], gateway_order_id: str, key_secret: str
) -> str:
    """The payment a Checkout confirmation names, once its signature is verified."""
    payment_id = confirmation.get("gateway_payment_id")
    if not payment_id:
        raise InvalidSignature("The confirmation names no payment.")
    message = _checkout_message(gateway_order_id, payment_id)
    verify_plain(confirmation.get("signature"), message, [key_secret])
    return payment_id


def _checkout_message(gateway_order_id: str, payment_id: str) -> bytes:
    return f"{gateway_order_id}|{payment_id}".encode()


def sign_timestamped(secret: str, body: bytes, timestamp: int) -> str:
    """A `t=<unix time>,v1=<hex>` header value over f"{t}.{body}" (Stripe's scheme)."""
    return f"t={timestamp},v1={hmac_sha256_hex(secret, f'{timestamp}.'.encode() + body)}"


def verify_timestamped(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    *,
    now: Callable[[], float],
    tolerance_seconds: int,
) -> None:
    """Stripe's scheme: any v1 digest may match any secret, and the signed time must be within
    the tolerance of now in either direction (a replayed old event, or a forged future one)."""
    if not header:
        raise InvalidSignature("The signature header is missing.")
    timestamp, digests = _parse_timestamped(header)
    if abs(now() - int(timestamp)) > tolerance_seconds:
        raise InvalidSignature("The signature's timestamp is outside the tolerance.")
    message = f"{timestamp}.".encode() + body
    if not secrets or not any(matches_any(d, message, secrets) for d in digests):
        raise InvalidSignature()


def _parse_timestamped(header: str) -> tuple[str, list[str]]:
    timestamp: str | None = None
    digests: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise InvalidSignature("The signature header is malformed.")
        if key == "t":
            timestamp = value
        elif key == "v1":
            digests.append(value)
    if timestamp is None or not timestamp.isdecimal() or not timestamp.isascii() or not digests:
        raise InvalidSignature("The signature header is malformed.")
    return timestamp, digests
