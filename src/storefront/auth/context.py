"""What the auth services need from the running process, built once at start-up."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from storefront.auth.passwords import Passwords
from storefront.core.config import Settings
from storefront.core.rate_limit import RateLimiter
from storefront.core.security.sealing import Sealer
from storefront.notifications.service import Notifier


@dataclass(frozen=True)
class AuthContext:
    settings: Settings
    secret_key: str
    passwords: Passwords
    limiter: RateLimiter
    notifier: Notifier


def build_auth_context(settings: Settings) -> AuthContext:
    secret_key = settings.resolved_secret_key()
    return AuthContext(
        settings=settings,
        secret_key=secret_key,
        passwords=Passwords(),
        limiter=RateLimiter.from_url(settings.redis_url, enabled=settings.rate_limits),
        notifier=Notifier(Sealer(secret_key)),
    )


async def _auth_context(request: Request) -> AuthContext:
    context: AuthContext = request.app.state.auth
    return context


AuthDep = Annotated[AuthContext, Depends(_auth_context)]
