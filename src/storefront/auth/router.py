"""HTTP for accounts: /api/v1/auth/..."""

from typing import Annotated

from fastapi import APIRouter, Body, Header, Request, status

from storefront.auth import login as login_service
from storefront.auth import recovery, registration, sessions, verification
from storefront.auth.contact import normalize_identifier
from storefront.auth.context import AuthDep
from storefront.auth.dependencies import CurrentUser
from storefront.auth.schemas import (
    CodeConfirmation,
    ForgotPasswordRequest,
    LoginRequest,
    LogoutRequest,
    MessageResponse,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    ResetPasswordRequest,
    TokenResponse,
)
from storefront.auth.sessions import IssuedTokens
from storefront.cart import service as cart_service
from storefront.core.database import SessionDep
from storefront.core.http import API_PREFIX
from storefront.core.openapi import RATE_LIMITED, UNAUTHORIZED, documented
from storefront.core.rate_limit import client_ip

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])

REGISTERED = "Registration successful. Please verify your email/mobile."
CODE_SENT = "A verification code has been sent."


def _tokens(issued: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        user_id=issued.user_id,
        token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterResponse,
    responses=documented((409, "The username, email or mobile is taken."), RATE_LIMITED),
)
async def register(
    body: RegisterRequest, request: Request, auth: AuthDep, session: SessionDep
) -> RegisterResponse:
    await auth.limiter.hit("10/minute", "register", "ip", client_ip(request))
    user = await registration.register(session, auth, body)
    return RegisterResponse(user_id=user.user_id, message=REGISTERED)


@router.post(
    "/login",
    response_model=TokenResponse,
    responses=documented(
        (401, "Invalid username/email or password."), (423, "Account locked."), RATE_LIMITED
    ),
)
async def login(
    body: LoginRequest,
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    x_cart_token: Annotated[
        str | None, Header(description="A guest cart to merge into the user's cart.")
    ] = None,
) -> TokenResponse:
    account = normalize_identifier(body.username_or_email, auth.settings.default_region)
    await auth.limiter.hit("30/minute", "login", "ip", client_ip(request))
    await auth.limiter.hit("10/minute", "login", "account", account)
    issued = await login_service.login(session, auth, body.username_or_email, body.password)
    if x_cart_token is not None:
        await cart_service.merge_guest_cart(session, auth.settings, issued.user_id, x_cart_token)
    return _tokens(issued)


@router.post(
    "/refresh",
    response_model=TokenResponse,
    responses=documented((401, "Invalid, used or revoked refresh token."), RATE_LIMITED),
)
async def refresh(
    body: RefreshRequest, request: Request, auth: AuthDep, session: SessionDep
) -> TokenResponse:
    await auth.limiter.hit("60/minute", "refresh", "ip", client_ip(request))
    return _tokens(await sessions.refresh_session(session, auth, body.refresh_token))


@router.post("/logout", response_model=MessageResponse, responses=documented(UNAUTHORIZED))
async def logout(
    claims: CurrentUser,
    auth: AuthDep,
    session: SessionDep,
    # The body may be left out, but is an object when sent (`null` is refused).
    body: Annotated[LogoutRequest, Body(default_factory=LogoutRequest)],
) -> MessageResponse:
    await sessions.logout(session, auth, claims, body.refresh_token)
    return MessageResponse(message="Logged out.")


async def _request_code(
    auth: AuthDep, session: SessionDep, request: Request, claims: CurrentUser, *, mobile: bool
) -> MessageResponse:
    await auth.limiter.hit("20/minute", "otp-request", "ip", client_ip(request))
    await auth.limiter.hit("10/hour", "otp-request", "account", str(claims.user_id))
    await verification.request_verification(session, auth, claims.user_id, mobile=mobile)
    return MessageResponse(message=CODE_SENT)


async def _confirm_code(
    auth: AuthDep,
    session: SessionDep,
    request: Request,
    claims: CurrentUser,
    code: str,
    *,
    mobile: bool,
) -> MessageResponse:
    await auth.limiter.hit("30/minute", "otp-confirm", "ip", client_ip(request))
    await auth.limiter.hit("10/minute", "otp-confirm", "account", str(claims.user_id))
    await verification.confirm_verification(session, auth, claims.user_id, code, mobile=mobile)
    what = "Mobile number" if mobile else "Email address"
    return MessageResponse(message=f"{what} verified.")


@router.post(
    "/verify/email/request",
    response_model=MessageResponse,
    responses=documented(
        UNAUTHORIZED, (409, "The email is already verified; nothing is sent."), RATE_LIMITED
    ),
)
async def request_email_code(
    request: Request, auth: AuthDep, session: SessionDep, claims: CurrentUser
) -> MessageResponse:
    return await _request_code(auth, session, request, claims, mobile=False)


@router.post(
    "/verify/email/confirm",
    response_model=MessageResponse,
    responses=documented(UNAUTHORIZED, RATE_LIMITED),
)
async def confirm_email(
    body: CodeConfirmation,
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    claims: CurrentUser,
) -> MessageResponse:
    return await _confirm_code(auth, session, request, claims, body.code, mobile=False)


@router.post(
    "/verify/mobile/request",
    response_model=MessageResponse,
    responses=documented(
        UNAUTHORIZED, (409, "The mobile number is already verified; nothing is sent."), RATE_LIMITED
    ),
)
async def request_mobile_code(
    request: Request, auth: AuthDep, session: SessionDep, claims: CurrentUser
) -> MessageResponse:
    return await _request_code(auth, session, request, claims, mobile=True)


@router.post(
    "/verify/mobile/confirm",
    response_model=MessageResponse,
    responses=documented(UNAUTHORIZED, RATE_LIMITED),
)
async def confirm_mobile(
    body: CodeConfirmation,
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    claims: CurrentUser,
) -> MessageResponse:
    return await _confirm_code(auth, session, request, claims, body.code, mobile=True)


@router.post("/password/forgot", response_model=MessageResponse, responses=documented(RATE_LIMITED))
async def forgot_password(
    body: ForgotPasswordRequest, request: Request, auth: AuthDep, session: SessionDep
) -> MessageResponse:
    account = normalize_identifier(body.identifier, auth.settings.default_region)
    await auth.limiter.hit("10/minute", "forgot", "ip", client_ip(request))
    await auth.limiter.hit("5/hour", "forgot", "account", account)
    await recovery.forgot_password(session, auth, body.identifier)
    return MessageResponse(message=recovery.FORGOT_MESSAGE)


@router.post("/password/reset", response_model=MessageResponse, responses=documented(RATE_LIMITED))
async def reset_password(
    body: ResetPasswordRequest, request: Request, auth: AuthDep, session: SessionDep
) -> MessageResponse:
    account = normalize_identifier(body.identifier, auth.settings.default_region)
    await auth.limiter.hit("20/minute", "reset", "ip", client_ip(request))
    await auth.limiter.hit("10/hour", "reset", "account", account)
    await recovery.reset_password(session, auth, body)
    return MessageResponse(message=recovery.RESET_MESSAGE)
