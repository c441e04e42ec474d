"""Registration: every rule checked and reported at once, then the account and its two
verification codes in one transaction."""

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.contact import (
    lookup_key,
    normalize_email,
    normalize_mobile,
    normalize_username,
)
from storefront.auth.context import AuthContext
from storefront.auth.models import CodePurpose, Role, User
from storefront.auth.password_policy import password_problems
from storefront.auth.schemas import RegisterRequest
from storefront.auth.verification import issue_code
from storefront.core.errors import Conflict, InvalidInput
from storefront.core.schemas import FieldError

PASSWORDS_DIFFER = "Passwords do not match."
TAKEN_MESSAGE = "An account with these details already exists."


def _checked(
    errors: list[FieldError], field: str, normalize: Callable[[str], str], value: str
) -> str:
    try:
        return normalize(value)
    except ValueError as exc:
        errors.append(FieldError(field=field, message=str(exc)))
        return value


def password_errors(
    password: str, confirmation: str, *, username: str | None, field: str, confirm_field: str
) -> list[FieldError]:
    """The same rules wherever a password is set: registration, change and reset."""
    errors = [
        FieldError(field=field, message=message)
        for message in password_problems(password, username=username)
    ]
    if password != confirmation:
        errors.append(FieldError(field=confirm_field, message=PASSWORDS_DIFFER))
    return errors


async def register(
    session: AsyncSession, auth: AuthContext, request: RegisterRequest, *, verified: bool = False
) -> User:
    """The new account; `verified` (create-admin) marks its contacts verified and sends no
    verification codes."""
    errors: list[FieldError] = []
    username = _checked(errors, "username", normalize_username, request.username)
    email = _checked(errors, "email", normalize_email, request.email)
    region = auth.settings.default_region
    mobile = _checked(errors, "mobile", lambda v: normalize_mobile(v, region), request.mobile)
    errors += password_errors(
        request.password,
        request.confirm_password,
        username=request.username,
        field="password",
        confirm_field="confirm_password",
    )
    if errors:
        raise InvalidInput(errors=errors)
    password_hash = await auth.passwords.hash(request.password)
    await _ensure_available(session, username=username, email=email, mobile=mobile)
    user = User(
        username=username,
        email=email,
        mobile=mobile,
        password_hash=password_hash,
        is_email_verified=verified,
        is_mobile_verified=verified,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same details.
        await _ensure_available(session, username=username, email=email, mobile=mobile)
        raise
    if not verified:
        await issue_code(session, auth, user, CodePurpose.VERIFY_EMAIL, by_sms=False)
        await issue_code(session, auth, user, CodePurpose.VERIFY_MOBILE, by_sms=True)
    return user


async def create_admin(
    session: AsyncSession,
    auth: AuthContext,
    *,
    username: str,
    email: str,
    mobile: str,
    password: str,
) -> uuid.UUID:
    """For `storefront create-admin`: the same rules as registration, verified contacts (so
    no verification code is sent to them)."""
    request = RegisterRequest(
        username=username, email=email, mobile=mobile, password=password, confirm_password=password
    )
    user = await register(session, auth, request, verified=True)
    user.role = Role.ADMIN
    return user.user_id


async def _ensure_available(
    session: AsyncSession, *, username: str, email: str, mobile: str
) -> None:
    checks = (
        ("username", User.username_key == lookup_key(username), "This username is taken."),
        ("email", User.email_key == lookup_key(email), "This email is already registered."),
        ("mobile", User.mobile == mobile, "This mobile number is already registered."),
    )
    taken = [
        FieldError(field=field, message=message)
        for field, condition, message in checks
        if await session.scalar(select(User.user_id).where(condition).limit(1)) is not None
    ]
    if taken:
        raise Conflict(TAKEN_MESSAGE, errors=taken)
