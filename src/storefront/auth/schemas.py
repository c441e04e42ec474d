import uuid
from typing import Literal

from pydantic import Field

from storefront.core.schemas import RequestSchema, SuccessResponse

# Generous bounds that stop absurd inputs before any rule (or hash) runs; the rules themselves
# give the user-facing messages.
_TEXT = Field(max_length=512)
_PASSWORD = Field(max_length=4096)
# No account has a longer username, email (RFC 3696's 320) or mobile.
_IDENTIFIER = Field(max_length=320)


class RegisterRequest(RequestSchema):
    username: str = _TEXT
    email: str = _TEXT
    mobile: str = _TEXT
    password: str = _PASSWORD
    confirm_password: str = _PASSWORD


class RegisterResponse(SuccessResponse):
    user_id: uuid.UUID
    message: str


class LoginRequest(RequestSchema):
    username_or_email: str = _IDENTIFIER
    password: str = _PASSWORD


class TokenResponse(SuccessResponse):
    user_id: uuid.UUID
    token: str
    expires_in: int
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105


class RefreshRequest(RequestSchema):
    refresh_token: str = _TEXT


class LogoutRequest(RequestSchema):
    refresh_token: str | None = Field(default=None, max_length=512)


class CodeConfirmation(RequestSchema):
    code: str = Field(max_length=32)


class ForgotPasswordRequest(RequestSchema):
    identifier: str = _TEXT


class ResetPasswordRequest(RequestSchema):
    identifier: str = _TEXT
    code: str = Field(max_length=32)
    new_password: str = _PASSWORD
    confirm_password: str = _PASSWORD


class MessageResponse(SuccessResponse):
    message: str
