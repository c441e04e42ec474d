"""An account as other modules see it, and the owner's changes to it: profile, password,
deletion. Every write locks the account's row first, so one user's writes run one at a time."""

import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.contact import lookup_key, normalize_email, normalize_mobile
from storefront.auth.context import AuthContext
from storefront.auth.models import CodePurpose, Role, User
from storefront.auth.registration import TAKEN_MESSAGE, password_errors
from storefront.auth.sessions import IssuedTokens, revoke_all_sessions, start_session
from storefront.auth.verification import issue_code
from storefront.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from storefront.core.schemas import FieldError

FULL_NAME_MAX_LENGTH = 100
FULL_NAME_MESSAGE = f"Full name must be 1-{FULL_NAME_MAX_LENGTH} characters."
WRONG_CURRENT_PASSWORD = FieldError(
    field="current_password", message="Current password is incorrect."
)
CURRENT_PASSWORD_REQUIRED = FieldError(
    field="current_password", message="Current password is required to change email or mobile."
)
_CONTACT_FIELDS = frozenset({"email", "mobile"})
CONTACT_CHANGED_TEMPLATE = "contact_changed"
WRONG_PASSWORD = FieldError(field="password", message="Password is incorrect.")
# No password hashes to this (argon2 hashes start with "$argon2"): nothing ever verifies.
UNUSABLE_PASSWORD_HASH = "!"  # noqa: S105


ACCOUNT_NOT_FOUND = "Account not found."


@dataclass(frozen=True)
class Account:
    """A snapshot of an account's public details (never its password hash)."""

    user_id: uuid.UUID
    username: str
    email: str
    mobile: str
    full_name: str | None
    role: Role
    is_email_verified: bool
    is_mobile_verified: bool
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> "Account":
        return cls(
            user_id=user.user_id,
            username=user.username,
            email=user.email,
            mobile=user.mobile,
            full_name=user.full_name,
            role=Role(user.role),
            is_email_verified=user.is_email_verified,
            is_mobile_verified=user.is_mobile_verified,
            is_active=user.is_active,
            created_at=user.created_at,
        )


async def get_account(session: AsyncSession, user_id: uuid.UUID) -> Account:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(ACCOUNT_NOT_FOUND)
    return Account.of(user)


async def lock_account(session: AsyncSession, user_id: uuid.UUID) -> Account:
    """The active account, its row locked until the transaction ends: every write to a user's
    profile or address book takes this lock first, so they run one at a time per user."""
    return Account.of(await _locked_user(session, user_id))


async def usernames(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Usernames by id, in one statement."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = await session.execute(select(User.user_id, User.username).where(User.user_id.in_(ids)))
    return {user_id: username for user_id, username in rows}


async def _locked_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.scalar(
        select(User).where(User.user_id == user_id, User.is_active).with_for_update(key_share=True)
    )
    if user is None:  # deleted or disabled since its token was checked
        raise Unauthorized()
    return user


async def update_profile(
    session: AsyncSession,
    auth: AuthContext,
    user_id: uuid.UUID,
    *,
    full_name: str | None,
    email: str | None,
    mobile: str | None,
    current_password: str | None,
) -> Account:
    """A new email or mobile needs the current password, is unverified until the code sent to
    it is confirmed (password resets go only to verified contacts) and is announced to the
    email address the account had. A value equal to the stored one changes nothing. None
    leaves a field as it is."""
    region = auth.settings.default_region
    errors: list[FieldError] = []
    full_name = _checked(errors, "full_name", _full_name, full_name)
    email = _checked(errors, "email", normalize_email, email)
    mobile = _checked(errors, "mobile", lambda v: normalize_mobile(v, region), mobile)
    user = await _locked_user(session, user_id)
    email = None if email == user.email else email
    mobile = None if mobile == user.mobile else mobile
    if email is not None or mobile is not None or _CONTACT_FIELDS & {e.field for e in errors}:
        errors += await _current_password_errors(auth, user, current_password)
    if errors:
        raise InvalidInput(errors=errors)
    # After the password check: a stolen token alone cannot probe which contacts are taken.
    await _ensure_available(session, user_id, email=email, mobile=mobile)
    if full_name is not None:
        user.full_name = full_name
    try:
        async with session.begin_nested():
            await _change_contacts(session, auth, user, email=email, mobile=mobile)
    except IntegrityError:
        # Lost a race with another account taking the same email or mobile.
        await _ensure_available(session, user_id, email=email, mobile=mobile)
        raise
    return Account.of(user)


async def change_password(
    session: AsyncSession,
    auth: AuthContext,
    user_id: uuid.UUID,
    *,
    current_password: str,
    new_password: str,
    confirm_password: str,
) -> IssuedTokens:
    """Every session ends, the caller's included; the tokens returned start a new one."""
    user = await _locked_user(session, user_id)
    errors = password_errors(
        new_password,
        confirm_password,
        username=user.username,
        field="new_password",
        confirm_field="confirm_password",
    )
    if not await auth.passwords.verify(user.password_hash, current_password):
        errors.insert(0, WRONG_CURRENT_PASSWORD)
    if errors:
        raise InvalidInput(errors=errors)
    user.password_hash = await auth.passwords.hash(new_password)
    await revoke_all_sessions(session, user)
    return await start_session(session, auth, user)


async def delete_account(
    session: AsyncSession, auth: AuthContext, user_id: uuid.UUID, password: str
) -> None:
    """The account is anonymised, not removed: orders keep referring to its row."""
    user = await _locked_user(session, user_id)
    if not await auth.passwords.verify(user.password_hash, password):
        raise InvalidInput(errors=[WRONG_PASSWORD])
    await revoke_all_sessions(session, user)
    _anonymise(user)


def _anonymise(user: User) -> None:
    user.username = f"deleted_{secrets.token_hex(6)}"  # 20 characters, the column's limit
    user.email = f"deleted+{uuid.uuid4()}@invalid"  # .invalid never resolves (RFC 2606)
    # No country calling code starts with 0: this can never be someone's number.
    user.mobile = f"+0{secrets.randbelow(10**18):018d}"
    user.full_name = None
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.is_email_verified = user.is_mobile_verified = False
    user.is_active = False


async def _current_password_errors(
    auth: AuthContext, user: User, password: str | None
) -> list[FieldError]:
    if password is None:
        return [CURRENT_PASSWORD_REQUIRED]
    if not await auth.passwords.verify(user.password_hash, password):
        return [WRONG_CURRENT_PASSWORD]
    return []


async def _change_contacts(
    session: AsyncSession, auth: AuthContext, user: User, *, email: str | None, mobile: str | None
) -> None:
    previous_email = user.email
    changed = []
    if email is not None:
        user.email, user.is_email_verified = email, False
        await issue_code(session, auth, user, CodePurpose.VERIFY_EMAIL, by_sms=False)
        changed.append("email address")
    if mobile is not None:
        user.mobile, user.is_mobile_verified = mobile, False
        await issue_code(session, auth, user, CodePurpose.VERIFY_MOBILE, by_sms=True)
        changed.append("mobile number")
    if changed:
        # Told at the address the owner had, in case the change is someone else's doing.
        auth.notifier.email(
            session,
            to=previous_email,
            template=CONTACT_CHANGED_TEMPLATE,
            context={"username": user.username, "changed": " and ".join(changed)},
        )


async def _ensure_available(
    session: AsyncSession, user_id: uuid.UUID, *, email: str | None, mobile: str | None
) -> None:
    """Conflict naming each new value that another account already has."""
    checks = []
    if email is not None:
        checks.append(
            ("email", User.email_key == lookup_key(email), "This email is already registered.")
        )
    if mobile is not None:
        checks.append(
            ("mobile", User.mobile == mobile, "This mobile number is already registered.")
        )
    taken = [
        FieldError(field=field, message=message)
        for field, condition, message in checks
        if await session.scalar(
            select(User.user_id).where(condition, User.user_id != user_id).limit(1)
        )
        is not None
    ]
    if taken:
        raise Conflict(TAKEN_MESSAGE, errors=taken)


def _checked(
    errors: list[FieldError], field: str, normalize: Callable[[str], str], value: str | None
) -> str | None:
    """The normalised value, None when the field was not sent or breaks its rule (recorded)."""
    if value is None:
        return None
    try:
        return normalize(value)
    except ValueError as exc:
        errors.append(FieldError(field=field, message=str(exc)))
        return None


def _full_name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= FULL_NAME_MAX_LENGTH:
        raise ValueError(FULL_NAME_MESSAGE)
    return name
