"""Browsers on other origins (a storefront front end on its own domain): Starlette's CORS
middleware for the origins in STOREFRONT_CORS_ORIGINS, and no CORS header at all without any.

No credentials mode: the API authenticates with the Authorization header, never cookies.
"""

from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ALLOWED_METHODS = ("GET", "POST", "PATCH", "DELETE")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-None-Match",
    "X-Cart-Token",
    "X-Request-ID",
)
EXPOSED_HEADERS = ("ETag", "Idempotent-Replayed", "Retry-After", "X-Cart-Token", "X-Request-ID")
PREFLIGHT_MAX_AGE_SECONDS = 600


def cors_middleware(origins: Sequence[str]) -> list[Middleware]:
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )
    ]
