"""HTTP for the caller's own account and address book: /api/v1/users/me/..."""

import uuid

from fastapi import APIRouter, Request, status

from storefront.auth import service as auth_service
from storefront.auth.service import AuthDep, CurrentUser
from storefront.core.database import SessionDep
from storefront.core.http import API_PREFIX
from storefront.core.openapi import RATE_LIMITED, UNAUTHORIZED, documented
from storefront.core.rate_limit import client_ip
from storefront.users import addresses, profile
from storefront.users.addresses import MAX_ADDRESSES
from storefront.users.schemas import (
    AccountDeletion,
    Address,
    AddressCreate,
    AddressList,
    AddressResponse,
    AddressUpdate,
    MessageResponse,
    PasswordChange,
    PasswordChanged,
    ProfileUpdate,
    User,
    UserResponse,
)

# The caller's old tokens stop working too: the response carries new ones for this device.
PASSWORD_CHANGED = "Password changed. Log in again on your other devices."  # noqa: S105
ACCOUNT_DELETED = "Account deleted."
ADDRESS_DELETED = "Address deleted."


_NOT_FOUND = (404, "Address not found: there is none with this id, or it is another user's.")

router = APIRouter(
    prefix=f"{API_PREFIX}/users",
    tags=["users"],
    responses=documented(UNAUTHORIZED),
)


@router.get("/me", response_model=UserResponse)
async def get_me(claims: CurrentUser, session: SessionDep) -> UserResponse:
    account = await auth_service.get_account(session, claims.user_id)
    return UserResponse(user=User.model_validate(account))


@router.patch(
    "/me",
    response_model=UserResponse,
    responses=documented((409, "The email or mobile belongs to another account."), RATE_LIMITED),
)
async def update_me(
    body: ProfileUpdate, request: Request, claims: CurrentUser, session: SessionDep, auth: AuthDep
) -> UserResponse:
    if body.email is not None or body.mobile is not None:  # a change sends a code to the value
        await auth.limiter.hit("20/minute", "contact-change", "ip", client_ip(request))
        await auth.limiter.hit("10/hour", "contact-change", "account", str(claims.user_id))
    account = await auth_service.update_profile(
        session,
        auth,
        claims.user_id,
        full_name=body.full_name,
        email=body.email,
        mobile=body.mobile,
        current_password=body.current_password,
    )
    return UserResponse(user=User.model_validate(account))


@router.post("/me/password", response_model=PasswordChanged, responses=documented(RATE_LIMITED))
async def change_password(
    body: PasswordChange, claims: CurrentUser, session: SessionDep, auth: AuthDep
) -> PasswordChanged:
    await auth.limiter.hit("5/minute", "password-change", "account", str(claims.user_id))
    issued = await auth_service.change_password(
        session,
        auth,
        claims.user_id,
        current_password=body.current_password,
        new_password=body.new_password,
        confirm_password=body.confirm_password,
    )
    return PasswordChanged(
        message=PASSWORD_CHANGED,
        user_id=issued.user_id,
        token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
    )


@router.delete("/me", response_model=MessageResponse, responses=documented(RATE_LIMITED))
async def delete_me(
    body: AccountDeletion, claims: CurrentUser, session: SessionDep, auth: AuthDep
) -> MessageResponse:
    await auth.limiter.hit("5/minute", "account-delete", "account", str(claims.user_id))
    await profile.delete_account(session, auth, claims.user_id, body.password)
    return MessageResponse(message=ACCOUNT_DELETED)


@router.get("/me/addresses", response_model=AddressList)
async def list_addresses(claims: CurrentUser, session: SessionDep) -> AddressList:
    rows = await addresses.list_addresses(session, claims.user_id)
    return AddressList(addresses=[Address.model_validate(row) for row in rows])


@router.post(
    "/me/addresses",
    status_code=status.HTTP_201_CREATED,
    response_model=AddressResponse,
    responses=documented((409, f"The address book already holds {MAX_ADDRESSES} addresses.")),
)
async def create_address(
    body: AddressCreate, claims: CurrentUser, session: SessionDep, auth: AuthDep
) -> AddressResponse:
    region = auth.settings.default_region
    address = await addresses.create_address(session, claims.user_id, region, body)
    return AddressResponse(address=Address.model_validate(address))


@router.get(
    "/me/addresses/{address_id}", response_model=AddressResponse, responses=documented(_NOT_FOUND)
)
async def get_address(
    address_id: uuid.UUID, claims: CurrentUser, session: SessionDep
) -> AddressResponse:
    address = await addresses.get_address(session, claims.user_id, address_id)
    return AddressResponse(address=Address.model_validate(address))


@router.patch(
    "/me/addresses/{address_id}", response_model=AddressResponse, responses=documented(_NOT_FOUND)
)
async def update_address(
    address_id: uuid.UUID,
    body: AddressUpdate,
    claims: CurrentUser,
    session: SessionDep,
    auth: AuthDep,
) -> AddressResponse:
    region = auth.settings.default_region
    address = await addresses.update_address(session, claims.user_id, region, address_id, body)
    return AddressResponse(address=Address.model_validate(address))


@router.delete(
    "/me/addresses/{address_id}", response_model=MessageResponse, responses=documented(_NOT_FOUND)
)
async def delete_address(
    address_id: uuid.UUID, claims: CurrentUser, session: SessionDep
) -> MessageResponse:
    await addresses.delete_address(session, claims.user_id, address_id)
    return MessageResponse(message=ADDRESS_DELETED)
