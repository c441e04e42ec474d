"""Sessions: an access token plus a rotating refresh token; refresh, logout, revoke-all.

A session is one refresh family (the chain of refresh tokens from one login); every access token
issued in it carries the family id as its `sid` claim."""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.context import AuthContext
from storefront.auth.denylist import revoke_session
from storefront.auth.models import RefreshToken, User
from storefront.auth.tokens import (
    INVALID_TOKEN,
    AccessClaims,
    issue_access_token,
    new_refresh_token,
    token_hash,
)
from storefront.core.errors import Unauthorized


@dataclass(frozen=True)
class IssuedTokens:
    user_id: uuid.UUID
    access_token: str
    expires_in: int
    refresh_token: str


async def start_session(
    session: AsyncSession, auth: AuthContext, user: User, family_id: uuid.UUID | None = None
) -> IssuedTokens:
    refresh = new_refresh_token()
    family_id = family_id or uuid.uuid4()
    session.add(
        RefreshToken(
            user_id=user.user_id,
            family_id=family_id,
            token_hash=token_hash(refresh),
            expires_at=datetime.now(UTC) + timedelta(seconds=auth.settings.refresh_token_ttl),
        )
    )
    ttl = auth.settings.access_token_ttl
    access = issue_access_token(
        auth.secret_key, user.user_id, user.role, user.session_version, ttl, session_id=family_id
    )
    return IssuedTokens(user.user_id, access, ttl, refresh)


async def refresh_session(
    session: AsyncSession, auth: AuthContext, refresh_token: str
) -> IssuedTokens:
    """Rotate: the presented token is used up and a new one of the same family returned. A
    token presented twice means it leaked: the whole family is revoked (RFC 9700 4.14.2)."""
    now = datetime.now(UTC)
    row = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_hash(refresh_token))
        .with_for_update()
    )
    if row is not None and row.used_at is None and row.revoked_at is None:
        user = await session.get(User, row.user_id)
        if row.expires_at > now and user is not None and user.is_active:
            row.used_at = now
            return await start_session(session, auth, user, row.family_id)
    elif row is not None:
        await _revoke(session, RefreshToken.family_id == row.family_id)
    # Committing: a replayed token's family stays revoked.
    raise Unauthorized(INVALID_TOKEN).committing()


async def logout(
    session: AsyncSession, auth: AuthContext, claims: AccessClaims, refresh_token: str | None
) -> None:
    """The caller's whole session ends: every access token issued in it stops working at once
    (recorded in the request's transaction, so a logout reported done is recorded) and its
    refresh tokens are revoked. A refresh token sent with it ends that token's session too."""
    await revoke_session(
        session, str(claims.session_id), int(time.time()) + auth.settings.access_token_ttl
    )
    families: ColumnElement[bool] = RefreshToken.family_id == claims.session_id
    if refresh_token is not None:
        sent = select(RefreshToken.family_id).where(
            RefreshToken.token_hash == token_hash(refresh_token)
        )
        families = or_(families, RefreshToken.family_id.in_(sent.scalar_subquery()))
    await _revoke(session, (RefreshToken.user_id == claims.user_id) & families)


async def revoke_all_sessions(session: AsyncSession, user: User) -> None:
    """Every refresh token of the user is revoked and every access token issued so far fails."""
    user.session_version += 1
    await _revoke(session, RefreshToken.user_id == user.user_id)


async def _revoke(session: AsyncSession, condition: object) -> None:
    await session.execute(
        update(RefreshToken)
        .where(condition, RefreshToken.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=datetime.now(UTC))
    )
