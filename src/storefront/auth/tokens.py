"""Access tokens (JWT, HS256 pinned, every claim checked) and opaque refresh tokens."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from storefront.auth.models import Role
from storefront.core.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "storefront"
AUDIENCE = "storefront-api"
ACCESS = "access"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "iss", "aud", "typ", "role", "ver", "sid"]
INVALID_TOKEN = "Invalid or expired token."  # noqa: S105 (a message)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: Role
    jti: str
    expires_at: int
    session_version: int
    # The refresh family the token was issued in: logging out ends all of it (`sessions.logout`).
    session_id: uuid.UUID


def issue_access_token(
    secret: str,
    user_id: uuid.UUID,
    role: Role,
    session_version: int,
    ttl_seconds: int,
    *,
    session_id: uuid.UUID,
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": ACCESS,
        "role": str(role),
        "ver": session_version,
        "sid": str(session_id),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    """The claims of a valid access token; anything else (tampered, expired, not yet valid,
    another algorithm or `none`, another audience or type) is 401."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
        if claims["typ"] != ACCESS:
            raise Unauthorized(INVALID_TOKEN)
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            role=Role(claims["role"]),
            jti=str(claims["jti"]),
            expires_at=int(claims["exp"]),
            session_version=int(claims["ver"]),
            session_id=uuid.UUID(str(claims["sid"])),
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Unauthorized(INVALID_TOKEN) from None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Refresh tokens have 256 bits of entropy: a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()
