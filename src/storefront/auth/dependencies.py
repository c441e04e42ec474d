"""Who is calling: the `CurrentUser`, `AdminUser` and `OptionalUser` dependencies, defined
once."""

from dataclasses import replace
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from storefront.auth.context import AuthDep
from storefront.auth.denylist import is_revoked
from storefront.auth.models import Role, User
from storefront.auth.tokens import INVALID_TOKEN, AccessClaims, decode_access_token
from storefront.core.database import SessionDep
from storefront.core.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="The `token` from /api/v1/auth/login.")


async def _current_claims(
    auth: AuthDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims:
    """A valid, unrevoked access token of an active user whose sessions it still belongs to."""
    if credentials is None:
        raise Unauthorized()
    claims = decode_access_token(auth.secret_key, credentials.credentials)
    # On the request's own connection: the token is checked in the transaction it authorises,
    # and its revocation (logout) rides on the same query.
    current = (
        await session.execute(
            select(
                User.session_version, User.role, is_revoked(str(claims.session_id)).label("revoked")
            ).where(User.user_id == claims.user_id, User.is_active)
        )
    ).first()
    if current is None or current.revoked or current.session_version != claims.session_version:
        raise Unauthorized(INVALID_TOKEN)
    # The role as it is now, not as it was when the token was issued.
    return replace(claims, role=Role(current.role))


CurrentUser = Annotated[AccessClaims, Depends(_current_claims)]


async def _optional_claims(
    auth: AuthDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims | None:
    """None without a bearer token (a guest); a token that is sent is checked as for
    CurrentUser: an invalid one is a 401, never a guest."""
    if credentials is None:
        return None
    return await _current_claims(auth, session, credentials)


# For routes that serve guests and users alike (the cart).
OptionalUser = Annotated[AccessClaims | None, Depends(_optional_claims)]


async def _admin_claims(claims: CurrentUser) -> AccessClaims:
    if claims.role is not Role.ADMIN:
        raise Forbidden()
    return claims


AdminUser = Annotated[AccessClaims, Depends(_admin_claims)]
