"""Login with lockout. Failures are counted per account, and per normalised identifier when no
account matches, with the same thresholds and answers, so 401 and 423 reveal nothing about which
accounts exist: every failure, locked or not, known account or not, costs one password hash.
The failure's errors are `committing()`: the count survives the error."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.contact import identifier_kind, normalize_identifier
from storefront.auth.context import AuthContext
from storefront.auth.models import LoginFailure, User
from storefront.auth.sessions import IssuedTokens, start_session
from storefront.core.errors import Locked, Unauthorized

INVALID_CREDENTIALS = "Invalid username/email or password."


@dataclass(frozen=True)
class _Lock:
    until: datetime


def locked_message(until: datetime) -> str:
    stamp = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Account locked due to repeated failed logins. Try again after {stamp}."


async def find_user(
    session: AsyncSession, identifier: str, region: str, *, for_update: bool = False
) -> User | None:
    """The active account an identifier (username, email or mobile) names, if any."""
    column = {"mobile": User.mobile, "email": User.email_key, "username": User.username_key}
    key = normalize_identifier(identifier, region)
    query = select(User).where(column[identifier_kind(identifier)] == key, User.is_active)
    return await session.scalar(query.with_for_update() if for_update else query)


async def login(
    session: AsyncSession, auth: AuthContext, identifier: str, password: str
) -> IssuedTokens:
    settings = auth.settings
    now = datetime.now(UTC)
    # Locked so that concurrent failures are all counted.
    user = await find_user(session, identifier, settings.default_region, for_update=True)
    if user is None:
        await auth.passwords.verify_dummy(password)
        outcome = await _unknown_identifier_failed(session, auth, identifier, now)
    else:
        # Checked even while locked (and the result ignored then), so that a locked account
        # answers no sooner than an unknown identifier, which costs a dummy hash.
        correct = await auth.passwords.verify(user.password_hash, password)
        if user.account_locked_until is not None and user.account_locked_until > now:
            outcome = _Lock(user.account_locked_until)
        elif correct:
            user.failed_login_count = 0
            user.account_locked_until = None
            if auth.passwords.needs_rehash(user.password_hash):
                user.password_hash = await auth.passwords.hash(password)
            return await start_session(session, auth, user)
        else:
            outcome = _account_failed(auth, user, now)
    if isinstance(outcome, _Lock):
        raise _locked(outcome.until, now).committing()
    raise Unauthorized(INVALID_CREDENTIALS).committing()


def _locked(until: datetime, now: datetime) -> Locked:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return Locked(locked_message(until), headers={"Retry-After": str(seconds)})


def _one_more_failure(auth: AuthContext, failures: int, now: datetime) -> tuple[int, _Lock | None]:
    """The count after one more failure, and the lock it sets off once the limit is reached
    (the count then starts again for after the lock)."""
    if failures + 1 < auth.settings.login_max_failures:
        return failures + 1, None
    return 0, _Lock(now + timedelta(minutes=auth.settings.lockout_minutes))


def _account_failed(auth: AuthContext, user: User, now: datetime) -> _Lock | None:
    user.failed_login_count, lock = _one_more_failure(auth, user.failed_login_count, now)
    if lock is not None:
        user.account_locked_until = lock.until
    return lock


async def _unknown_identifier_failed(
    session: AsyncSession, auth: AuthContext, identifier: str, now: datetime
) -> _Lock | None:
    key = normalize_identifier(identifier, auth.settings.default_region)
    await session.execute(insert(LoginFailure).values(identifier=key).on_conflict_do_nothing())
    failure = await session.get_one(LoginFailure, key, with_for_update=True)
    if failure.locked_until is not None and failure.locked_until > now:
        return _Lock(failure.locked_until)
    failure.failed_count, lock = _one_more_failure(auth, failure.failed_count, now)
    if lock is not None:
        failure.locked_until = lock.until
    return lock
