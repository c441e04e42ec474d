import uuid
from typing import Annotated, Literal

from pydantic import Field

from storefront.auth.contact import (
    RESERVED_USERNAME_PREFIX,
    USERNAME_MAX_LENGTH,
    USERNAME_MIN_LENGTH,
)
from storefront.auth.password_policy import MAX_LENGTH, MIN_LENGTH
from storefront.core.schemas import Checked, RequestSchema, SuccessResponse, Text

# The services check the rules of new values, each with its message, all reported at once; the
# document states them. Validation only stops absurd lengths before any rule (or hash) runs.
_GUARD = 512
_PASSWORD_GUARD = 4096

# contact.normalize_username's rules: its characters, not only digits (that reads as a mobile
# number), not the prefix of deleted accounts (in any case).
_RESERVED = "".join(
    f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in RESERVED_USERNAME_PREFIX
)
USERNAME_PATTERN = rf"^(?!{_RESERVED})(?![0-9]*$)[A-Za-z0-9_.]*$"
# email-validator's limit (RFC 5321's 254 characters).
EMAIL_MAX_LENGTH = 254
# phonenumbers reads no longer input.
MOBILE_MAX_LENGTH = 250
# codes.new_code: 6 digits.
CODE_PATTERN = r"^[0-9]{6}$"

Username = Annotated[
    str,
    Checked(
        guard=_GUARD,
        min_length=USERNAME_MIN_LENGTH,
        max_length=USERNAME_MAX_LENGTH,
        pattern=USERNAME_PATTERN,
    ),
    Field(description="Letters, digits, '_' and '.'; not only digits; not `deleted_...`."),
]
Email = Annotated[
    str,
    Checked(guard=_GUARD, max_length=EMAIL_MAX_LENGTH, pattern=r"^[^@\x00]+@[^@\x00]+$"),
    Field(description="A valid email address (its domain need not be checked to exist)."),
]
Mobile = Annotated[
    str,
    Checked(guard=_GUARD, max_length=MOBILE_MAX_LENGTH),
    Field(
        description="A valid mobile number: E.164 (`+919876543210`), or national for the "
        "server's region (STOREFRONT_DEFAULT_REGION)."
    ),
]
NewPassword = Annotated[
    str,
    Checked(guard=_PASSWORD_GUARD, min_length=MIN_LENGTH, max_length=MAX_LENGTH),
    Field(
        description="At least one uppercase letter, one lowercase letter, one digit and one "
        "other character; not containing the username; not one of the 10,000 most common "
        "passwords."
    ),
]
Confirmation = Annotated[
    str,
    Checked(guard=_PASSWORD_GUARD, min_length=MIN_LENGTH, max_length=MAX_LENGTH),
    Field(description="The new password again."),
]
# Any text may be tried: a wrong one is refused as a wrong credential, not as malformed.
Password = Annotated[str, Text(max_length=_PASSWORD_GUARD)]
# No account has a longer username, email (RFC 3696's 320) or mobile.
Identifier = Annotated[str, Text(max_length=320)]
# Accepted whatever they hold, and answered alike (nothing tells whether an account exists).
AnyIdentifier = Annotated[str, Text(max_length=_GUARD)]
RefreshToken = Annotated[str, Text(max_length=_GUARD)]
Code = Annotated[
    str,
    Checked(guard=32, max_length=6, pattern=CODE_PATTERN),
    Field(description="The code that was sent."),
]


class RegisterRequest(RequestSchema):
    username: Username
    email: Email
    mobile: Mobile
    password: NewPassword
    confirm_password: Confirmation


class RegisterResponse(SuccessResponse):
    user_id: uuid.UUID
    message: str


class LoginRequest(RequestSchema):
    username_or_email: Identifier
    password: Password


class TokenResponse(SuccessResponse):
    user_id: uuid.UUID
    token: str
    expires_in: int
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105


class RefreshRequest(RequestSchema):
    refresh_token: RefreshToken


class LogoutRequest(RequestSchema):
    refresh_token: RefreshToken | None = None


class CodeConfirmation(RequestSchema):
    code: Code


class ForgotPasswordRequest(RequestSchema):
    identifier: AnyIdentifier


class ResetPasswordRequest(RequestSchema):
    identifier: AnyIdentifier
    code: Code
    new_password: NewPassword
    confirm_password: Confirmation


class MessageResponse(SuccessResponse):
    message: str
