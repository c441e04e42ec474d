"""Issuing and checking one-time codes: email and mobile verification, and password reset."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.codes import code_digest, code_matches, new_code
from storefront.auth.context import AuthContext
from storefront.auth.models import CodePurpose, OneTimeCode, User
from storefront.core.errors import Conflict, InvalidInput, TooManyRequests
from storefront.core.schemas import FieldError

INVALID_CODE = FieldError(field="code", message="Invalid or expired code.")

_EMAIL_TEMPLATES = {
    CodePurpose.VERIFY_EMAIL: "email_otp",
    CodePurpose.RESET_PASSWORD: "password_reset",
}
_SMS_TEMPLATES = {
    CodePurpose.VERIFY_MOBILE: "mobile_otp",
    CodePurpose.RESET_PASSWORD: "password_reset",
}


async def issue_code(
    session: AsyncSession, auth: AuthContext, user: User, purpose: CodePurpose, *, by_sms: bool
) -> None:
    """Void the user's earlier codes for this purpose, store a new one and send it (after
    commit, through the outbox; the code itself travels sealed)."""
    now = datetime.now(UTC)
    await session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.user_id == user.user_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )
    code = new_code()
    ttl = auth.settings.otp_ttl_seconds
    session.add(
        OneTimeCode(
            user_id=user.user_id,
            purpose=purpose,
            code_hash=code_digest(auth.secret_key, user.user_id, purpose, code),
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    context = {"username": user.username, "expires_minutes": ttl // 60}
    if by_sms:
        auth.notifier.sms(
            session,
            to=user.mobile,
            template=_SMS_TEMPLATES[purpose],
            context=context,
            secrets={"code": code},
        )
    else:
        auth.notifier.email(
            session,
            to=user.email,
            template=_EMAIL_TEMPLATES[purpose],
            context=context,
            secrets={"code": code},
        )


async def enforce_resend_cooldown(
    session: AsyncSession, auth: AuthContext, user_id: uuid.UUID, purpose: CodePurpose
) -> None:
    latest = await session.scalar(
        select(OneTimeCode.created_at)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose)
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    )
    if latest is None:
        return
    wait = auth.settings.otp_resend_seconds - (datetime.now(UTC) - latest).total_seconds()
    if wait > 0:
        raise TooManyRequests(
            int(wait) + 1, f"A code was sent recently. Try again in {int(wait) + 1} seconds."
        )


async def consume_code(
    session: AsyncSession, auth: AuthContext, user_id: uuid.UUID, purpose: CodePurpose, code: str
) -> bool:
    """True, and the code used up, when `code` is the user's live code for this purpose. A
    wrong guess counts against the code, which dies after the allowed attempts."""
    row = await session.scalar(
        select(OneTimeCode)
        .where(
            OneTimeCode.user_id == user_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
            OneTimeCode.expires_at > datetime.now(UTC),
        )
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None or row.attempts >= auth.settings.otp_max_attempts:
        return False
    if not code_matches(auth.secret_key, user_id, purpose, code.strip(), row.code_hash):
        row.attempts += 1
        return False
    row.consumed_at = datetime.now(UTC)
    return True


async def request_verification(
    session: AsyncSession, auth: AuthContext, user_id: uuid.UUID, *, mobile: bool
) -> None:
    """A new code for the contact, unless it is verified already (409, nothing sent)."""
    purpose = CodePurpose.VERIFY_MOBILE if mobile else CodePurpose.VERIFY_EMAIL
    user = await session.get_one(User, user_id)
    verified = user.is_mobile_verified if mobile else user.is_email_verified
    if verified:
        what = "mobile number" if mobile else "email"
        raise Conflict(f"This {what} is already verified.")
    await enforce_resend_cooldown(session, auth, user_id, purpose)
    await issue_code(session, auth, user, purpose, by_sms=mobile)


async def confirm_verification(
    session: AsyncSession, auth: AuthContext, user_id: uuid.UUID, code: str, *, mobile: bool
) -> None:
    purpose = CodePurpose.VERIFY_MOBILE if mobile else CodePurpose.VERIFY_EMAIL
    if not await consume_code(session, auth, user_id, purpose, code):
        # Committing, so that the failed attempt is counted.
        raise InvalidInput(errors=[INVALID_CODE]).committing()
    user = await session.get_one(User, user_id)
    if mobile:
        user.is_mobile_verified = True
    else:
        user.is_email_verified = True
