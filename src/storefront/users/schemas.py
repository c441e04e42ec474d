import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from storefront.auth.service import TokenResponse
from storefront.core.schemas import RequestSchema, Schema, SuccessResponse
from storefront.users.models import AddressLabel

# Generous bounds that stop absurd inputs before any rule runs; the services' rules give the
# user-facing messages.
_TEXT = Field(max_length=512)
_PASSWORD = Field(max_length=4096)
_Text = Annotated[str, _TEXT]

NOT_NULL = "This field cannot be null."


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError(NOT_NULL)
    return value


# For fields that may be left out but not set to null (a partial update: left out means kept).
# Only a value that is sent is validated, so the None default passes.
_NotNull = AfterValidator(_not_null)
_KeptText = Annotated[_Text | None, _NotNull]
_ClearableText = _Text | None


class User(Schema):
    user_id: uuid.UUID
    username: str
    email: str
    mobile: str
    full_name: str | None
    is_email_verified: bool
    is_mobile_verified: bool
    created_at: datetime


class UserResponse(SuccessResponse):
    user: User


class ProfileUpdate(RequestSchema):
    full_name: _KeptText = None
    email: _KeptText = None
    mobile: _KeptText = None
    current_password: Annotated[
        str | None,
        _NotNull,
        _PASSWORD,
        Field(description="Required to change the email or the mobile."),
    ] = None


class PasswordChange(RequestSchema):
    current_password: str = _PASSWORD
    new_password: str = _PASSWORD
    confirm_password: str = _PASSWORD


class PasswordChanged(TokenResponse):
    """The caller's earlier tokens stop working with every other session's: these replace them."""

    message: str


class AccountDeletion(RequestSchema):
    password: str = _PASSWORD


class MessageResponse(SuccessResponse):
    message: str


class Address(Schema):
    address_id: uuid.UUID
    full_name: str
    mobile: str
    line1: str
    line2: str | None
    landmark: str | None
    city: str
    state: str
    postal_code: str
    country: str
    label: AddressLabel
    is_default: bool
    created_at: datetime
    updated_at: datetime


class AddressCreate(RequestSchema):
    full_name: _Text
    mobile: _Text
    line1: _Text
    line2: _ClearableText = None
    landmark: _ClearableText = None
    city: _Text
    state: _Text
    postal_code: _Text
    country: Annotated[
        _KeptText, Field(description="ISO 3166-1 alpha-2; default: the server's region.")
    ] = None
    label: AddressLabel = AddressLabel.HOME
    is_default: bool = Field(default=False, description="The first address is the default anyway.")


class AddressUpdate(RequestSchema):
    """Only the fields sent change; line2 and landmark are cleared with null."""

    full_name: _KeptText = None
    mobile: _KeptText = None
    line1: _KeptText = None
    line2: _ClearableText = None
    landmark: _ClearableText = None
    city: _KeptText = None
    state: _KeptText = None
    postal_code: _KeptText = None
    country: _KeptText = None
    label: Annotated[AddressLabel | None, _NotNull] = None
    is_default: Annotated[
        bool | None,
        _NotNull,
        Field(description="true moves the default here; false on the default is refused."),
    ] = None


class AddressResponse(SuccessResponse):
    address: Address


class AddressList(SuccessResponse):
    addresses: list[Address]
