"""Forgotten passwords: a code to the account's verified email or mobile, then a new password.
Both answer the same whether or not the account exists: the request sends nothing when it does
not (nor to a contact not yet verified, which may be a stranger's), and the reset checks the
code before anything else, so an unknown account fails the same check as a wrong code."""

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.contact import IdentifierKind, identifier_kind
from storefront.auth.context import AuthContext
from storefront.auth.login import find_user
from storefront.auth.models import CodePurpose, User
from storefront.auth.registration import password_errors
from storefront.auth.schemas import ResetPasswordRequest
from storefront.auth.sessions import revoke_all_sessions
from storefront.auth.verification import INVALID_CODE, consume_code, issue_code
from storefront.core.errors import InvalidInput

FORGOT_MESSAGE = "If an account matches, a reset code has been sent to it."
RESET_MESSAGE = "Your password has been reset. Log in with the new password."

Contact = Literal["email", "mobile"]


async def forgot_password(session: AsyncSession, auth: AuthContext, identifier: str) -> None:
    user = await find_user(session, identifier, auth.settings.default_region)
    if user is None:
        return
    channel = _reset_channel(user, identifier_kind(identifier))
    if channel is not None:
        by_sms = channel == "mobile"
        await issue_code(session, auth, user, CodePurpose.RESET_PASSWORD, by_sms=by_sms)


def _reset_channel(user: User, kind: IdentifierKind) -> Contact | None:
    """The contact the identifier names, if it is verified; for a username, the verified email,
    else the verified mobile."""
    verified: list[Contact] = []
    if user.is_email_verified:
        verified.append("email")
    if user.is_mobile_verified:
        verified.append("mobile")
    if kind == "username":
        return verified[0] if verified else None
    return kind if kind in verified else None


async def reset_password(
    session: AsyncSession, auth: AuthContext, request: ResetPasswordRequest
) -> None:
    """Check the code (a wrong one counts against it), then the password rules; success sets
    the password, lifts any lockout and ends every session."""
    user = await find_user(
        session, request.identifier, auth.settings.default_region, for_update=True
    )
    if user is None or not await consume_code(
        session, auth, user.user_id, CodePurpose.RESET_PASSWORD, request.code
    ):
        # Committing, so that the wrong guess counts against the code.
        raise InvalidInput(errors=[INVALID_CODE]).committing()
    errors = password_errors(
        request.new_password,
        request.confirm_password,
        username=user.username,
        field="new_password",
        confirm_field="confirm_password",
    )
    if errors:
        # Not committing: the code's use rolls back with the rest, so it stays good for a retry.
        raise InvalidInput(errors=errors)
    user.password_hash = await auth.passwords.hash(request.new_password)
    user.account_locked_until = None
    user.failed_login_count = 0
    await revoke_all_sessions(session, user)
