"""Access tokens revoked before they expire (logout), by jti, in PostgreSQL.

Every API process sees a revocation once its transaction commits, and the check rides on the
query that loads the caller's account (auth/dependencies.py), so it costs no round trip of its
own and no other service can be down for it: Redis holds only caches and rate-limit counts."""

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, delete, exists, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import RevokedAccessToken


async def revoke_access_token(session: AsyncSession, jti: str, expires_at: int) -> None:
    """expires_at: the token's exp claim (seconds since the epoch)."""
    await session.execute(
        insert(RevokedAccessToken)
        .values(jti=jti, expires_at=datetime.fromtimestamp(expires_at, UTC))
        .on_conflict_do_nothing()
    )


def is_revoked(jti: str) -> ColumnElement[bool]:
    return exists().where(RevokedAccessToken.jti == jti)


async def purge_expired_revocations(session: AsyncSession) -> None:
    """Rows of tokens that have expired since: their signature check refuses them anyway."""
    await session.execute(
        delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < func.now())
    )
