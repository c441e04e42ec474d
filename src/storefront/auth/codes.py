"""One-time codes: 6 digits from a CSPRNG, stored as an HMAC keyed by the server secret and
bound to the user and purpose: a leaked table reveals no code, and a code fits only where it
was sent."""

import hashlib
import hmac
import secrets
import uuid

from storefront.auth.models import CodePurpose


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_digest(secret: str, user_id: uuid.UUID, purpose: CodePurpose, code: str) -> str:
    message = f"{user_id}:{purpose.value}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def code_matches(
    secret: str, user_id: uuid.UUID, purpose: CodePurpose, code: str, digest: str
) -> bool:
    return hmac.compare_digest(code_digest(secret, user_id, purpose, code), digest)
