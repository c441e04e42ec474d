"""Sessions ended before their access tokens expire (logout), by session id (the tokens' `sid`),
in PostgreSQL (the table's `jti` column holds the session id).

Every API process sees a revocation once its transaction commits, and the check rides on the
query that loads the caller's account (auth/dependencies.py), so it costs no round trip of its
own and no other service can be down for it: Redis holds only caches and rate-limit counts."""

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, delete, exists, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import RevokedAccessToken


async def revoke_session(session: AsyncSession, session_id: str, expires_at: int) -> None:
    """Every access token of the session fails from this commit on; expires_at (seconds since
    the epoch) is when the newest of them expires, after which the row can go."""
    await session.execute(
        insert(RevokedAccessToken)
        .values(jti=session_id, expires_at=datetime.fromtimestamp(expires_at, UTC))
        .on_conflict_do_nothing()
    )


def is_revoked(session_id: str) -> ColumnElement[bool]:
    return exists().where(RevokedAccessToken.jti == session_id)


async def purge_expired_revocations(session: AsyncSession) -> None:
    """Rows of tokens that have expired since: their signature check refuses them anyway."""
    await session.execute(
        delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < func.now())
    )
