import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from storefront.auth.schemas import Confirmation, Email, Mobile, NewPassword, Password
from storefront.auth.service import TokenResponse
from storefront.core.schemas import (
    Checked,
    JsonBool,
    Omittable,
    RequestSchema,
    Schema,
    SuccessResponse,
    stripped_pattern,
)
from storefront.users.models import AddressLabel

# The services check the rules, each with its message, all reported at once; the document
# states them. Validation only stops absurd lengths before any rule runs.
_GUARD = 512
# What Python's str.strip() removes (the services strip with it): Unicode White_Space and the
# information separators \x1c-\x1f.
_SPACE = r"\t\n\x0b-\x0d\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _stripped(max_length: int, *, required: bool = True) -> Checked:
    """Text the service strips, then wants non-empty (`required`) and at most `max_length`."""
    return Checked(guard=_GUARD, pattern=stripped_pattern(int(required), max_length, _SPACE))


NOT_NULL = "This field cannot be null."


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError(NOT_NULL)
    return value


# For fields that may be left out but not set to null (a partial update: left out means kept).
# Only a value that is sent is validated, so the None default passes.
_NotNull = AfterValidator(_not_null)

FullName = Annotated[str, _stripped(100), Field(description="1-100 characters.")]
Line = Annotated[str, _stripped(200), Field(description="1-200 characters.")]
OptionalLine = Annotated[
    str, _stripped(200, required=False), Field(description="Up to 200 characters; blank: none.")
]
Place = Annotated[str, _stripped(100), Field(description="1-100 characters.")]
PostalCode = Annotated[
    str,
    Checked(guard=_GUARD),
    Field(
        description="As the country writes them (case and spacing are normalised): IN a "
        "6-digit PIN code, US a ZIP code (12345 or 12345-6789), GB a postcode; elsewhere 3-10 "
        "letters, digits, spaces or dashes."
    ),
]
Country = Annotated[
    str,
    Checked(guard=_GUARD, pattern=rf"^[{_SPACE}]*[^{_SPACE}\x00]{{1,2}}[{_SPACE}]*$"),
    Field(description="ISO 3166-1 alpha-2, any case; default: the server's region."),
]
AddressMobile = Annotated[
    str,
    Checked(guard=_GUARD, max_length=250),
    Field(description="A valid number for the address's country (E.164, or national)."),
]


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
    full_name: Annotated[Omittable[FullName], _NotNull] = None
    email: Annotated[Omittable[Email], _NotNull] = None
    mobile: Annotated[Omittable[Mobile], _NotNull] = None
    current_password: Annotated[
        Omittable[Password],
        _NotNull,
        Field(description="Required to change the email or the mobile."),
    ] = None


class PasswordChange(RequestSchema):
    current_password: Password
    new_password: NewPassword
    confirm_password: Confirmation


class PasswordChanged(TokenResponse):
    """The caller's earlier tokens stop working with every other session's: these replace them."""

    message: str


class AccountDeletion(RequestSchema):
    password: Password


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
    full_name: FullName
    mobile: AddressMobile
    line1: Line
    line2: OptionalLine | None = None
    landmark: OptionalLine | None = None
    city: Place
    state: Place
    postal_code: PostalCode
    country: Annotated[Omittable[Country], _NotNull] = None
    label: AddressLabel = AddressLabel.HOME
    is_default: JsonBool = Field(
        default=False, description="The first address is the default anyway."
    )


class AddressUpdate(RequestSchema):
    """Only the fields sent change; line2 and landmark are cleared with null."""

    full_name: Annotated[Omittable[FullName], _NotNull] = None
    mobile: Annotated[Omittable[AddressMobile], _NotNull] = None
    line1: Annotated[Omittable[Line], _NotNull] = None
    line2: OptionalLine | None = None
    landmark: OptionalLine | None = None
    city: Annotated[Omittable[Place], _NotNull] = None
    state: Annotated[Omittable[Place], _NotNull] = None
    postal_code: Annotated[Omittable[PostalCode], _NotNull] = None
    country: Annotated[Omittable[Country], _NotNull] = None
    label: Annotated[Omittable[AddressLabel], _NotNull] = None
    is_default: Annotated[
        Omittable[JsonBool],
        _NotNull,
        Field(description="true moves the default here; false on the default is refused."),
    ] = None


class AddressResponse(SuccessResponse):
    address: Address


class AddressList(SuccessResponse):
    addresses: list[Address]
