"""HTTP for payments: start and confirm a payment of one's order, gateway webhooks, refunds by
an administrator, and the sandbox's pay button for development."""

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import JSONResponse

from storefront.auth.service import AdminUser, CurrentUser
from storefront.core import idempotency
from storefront.core.config import Environment
from storefront.core.database import SessionDep, after_commit, unit_of_work
from storefront.core.errors import Conflict, NotFound
from storefront.core.http import API_PREFIX
from storefront.core.idempotency import KEY_PARAMETER, IdempotencyKey
from storefront.core.money import from_minor_units, to_minor_units
from storefront.core.openapi import FORBIDDEN, UNAUTHORIZED, documented
from storefront.payments import attempts
from storefront.payments.capture import lock_attempt
from storefront.payments.context import PaymentsDep
from storefront.payments.gateways.base import GatewayName, GatewayRejected
from storefront.payments.gateways.sandbox import SandboxGateway
from storefront.payments.refunds import request_refund
from storefront.payments.schemas import (
    GATEWAY_ID_PATTERN,
    Payment,
    PaymentConfirmation,
    PaymentList,
    PaymentResponse,
    Refund,
    RefundCreate,
    RefundResponse,
    SandboxPaid,
    SandboxPay,
    StartedPayment,
    StartedPaymentResponse,
    WebhookAccepted,
)
from storefront.payments.webhooks import receive_webhook

_NOT_FOUND = (404, "Not found: there is none with this id, or it is another user's.")
_NOT_PAYABLE = (409, "The order is not awaiting payment, or the payment did not go through.")
_GATEWAY_DOWN = (503, "The payment gateway did not answer; try again (see Retry-After).")
_KEY_REUSED = (422, "The Idempotency-Key was used before for another order.")

# Tags per route: the administrators' refunds and the sandbox's pay button are apart.
router = APIRouter(prefix=API_PREFIX)


@router.post(
    "/orders/{order_id}/payments",
    tags=["payments"],
    status_code=status.HTTP_201_CREATED,
    response_model=StartedPaymentResponse,
    responses=documented(UNAUTHORIZED, _NOT_FOUND, _NOT_PAYABLE, _GATEWAY_DOWN, _KEY_REUSED),
    openapi_extra=KEY_PARAMETER,
)
async def start_payment(
    order_id: uuid.UUID,
    claims: CurrentUser,
    key: IdempotencyKey,
    session: SessionDep,
    payments: PaymentsDep,
) -> StartedPaymentResponse | JSONResponse:
    """A new payment attempt at the configured gateway; a retry with the same
    `Idempotency-Key` answers the first attempt again."""
    call = await idempotency.begin(
        session,
        user_id=claims.user_id,
        route="start_payment",
        key=key,
        body={"order_id": str(order_id)},
        ttl=timedelta(hours=payments.settings.idempotency_ttl_hours),
    )
    if call.replay is not None:
        return call.replay
    attempt, started = await attempts.start_payment(payments, session, claims.user_id, order_id)
    payment = StartedPayment(**Payment.of(attempt).model_dump(), client=started.client)
    response = StartedPaymentResponse(payment=payment)
    call.store(status.HTTP_201_CREATED, response)
    return response


@router.get(
    "/orders/{order_id}/payments",
    tags=["payments"],
    response_model=PaymentList,
    responses=documented(UNAUTHORIZED, _NOT_FOUND),
)
async def list_order_payments(
    order_id: uuid.UUID, claims: CurrentUser, session: SessionDep
) -> PaymentList:
    rows = await attempts.order_attempts(session, claims.user_id, order_id)
    return PaymentList(payments=[Payment.of(row) for row in rows])


@router.get(
    "/payments/{payment_id}",
    tags=["payments"],
    response_model=PaymentResponse,
    responses=documented(UNAUTHORIZED, _NOT_FOUND),
)
async def get_payment(
    payment_id: uuid.UUID, claims: CurrentUser, session: SessionDep
) -> PaymentResponse:
    attempt = await attempts.own_attempt(session, claims.user_id, payment_id)
    return PaymentResponse(payment=Payment.of(attempt))


@router.post(
    "/payments/{payment_id}/confirm",
    tags=["payments"],
    response_model=PaymentResponse,
    responses={
        202: {"model": PaymentResponse, "description": "The gateway did not answer yet."},
        **documented(UNAUTHORIZED, _NOT_FOUND, _NOT_PAYABLE),
    },
)
async def confirm_payment(
    payment_id: uuid.UUID,
    body: PaymentConfirmation,
    claims: CurrentUser,
    session: SessionDep,
    payments: PaymentsDep,
) -> PaymentResponse | JSONResponse:
    """Checked with the gateway against the gateway order id stored for this payment. When
    the gateway does not answer, 202 with the payment still pending: it is settled later."""
    confirmation = body.model_dump(exclude_none=True)
    attempt = await attempts.confirm_payment(
        payments, session, claims.user_id, payment_id, confirmation
    )
    response = PaymentResponse(payment=Payment.of(attempt))
    if attempt.status in ("created", "pending"):
        return JSONResponse(response.model_dump(mode="json"), status.HTTP_202_ACCEPTED)
    return response


@router.post(
    "/payments/webhooks/{gateway}",
    tags=["payments"],
    response_model=WebhookAccepted,
    responses=documented((400, "Bad or expired signature."), (404, "Not this shop's gateway.")),
)
async def receive_gateway_webhook(
    gateway: GatewayName, request: Request, session: SessionDep, payments: PaymentsDep
) -> WebhookAccepted:
    """Verified over the raw body, recorded once per gateway event id and applied from the
    queue; answered at once."""
    if gateway != payments.gateway.name:
        raise NotFound()
    received = await receive_webhook(payments, session, await request.body(), request.headers)
    return WebhookAccepted(received=received)


@router.post(
    "/admin/payments/{payment_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    response_model=RefundResponse,
    tags=["payments admin"],
    operation_id="admin_refund_payment",
    responses=documented(UNAUTHORIZED, FORBIDDEN, _NOT_FOUND, (409, "More than is left.")),
)
async def refund_payment(
    payment_id: uuid.UUID, body: RefundCreate, _: AdminUser, session: SessionDep
) -> RefundResponse:
    """Refund part or all of a captured payment; sent to the gateway from the queue."""
    attempt = await lock_attempt(session, payment_id)
    if attempt is None or attempt.status != "captured":
        raise NotFound("No captured payment with this id.")
    amount_minor = to_minor_units(body.amount, attempt.currency)
    refund = request_refund(session, attempt, amount_minor, body.reason)
    return RefundResponse(
        refund=Refund(
            refund_id=refund.refund_id,
            payment_id=payment_id,
            amount=from_minor_units(amount_minor, attempt.currency),
            currency=attempt.currency,
            status=refund.status,
            reason=refund.reason,
        )
    )


@router.post(
    "/payments/sandbox/{gateway_order_id}/pay",
    response_model=SandboxPaid,
    tags=["payments sandbox"],
    responses=documented(
        (404, "No sandbox here, or no such sandbox order."),
        (409, "The sandbox refused: the order is paid already, say."),
    ),
)
async def sandbox_pay(
    # Documented, not checked: any other id is simply not found.
    gateway_order_id: Annotated[str, Path(json_schema_extra={"pattern": GATEWAY_ID_PATTERN})],
    body: SandboxPay,
    request: Request,
    session: SessionDep,
    payments: PaymentsDep,
) -> SandboxPaid:
    """Development only (the sandbox gateway, outside production): pay a sandbox order as a
    customer would at the gateway's checkout. Answers what the checkout hands the client (to
    send to /confirm), and delivers the sandbox's signed webhook to this API after commit."""
    sandbox = payments.gateway
    if not isinstance(sandbox, SandboxGateway) or payments.settings.env is Environment.PRODUCTION:
        raise NotFound()
    try:
        paid = await sandbox.pay(gateway_order_id, body.outcome)
    except GatewayRejected as refused:
        if refused.http_status == status.HTTP_404_NOT_FOUND:
            raise NotFound("No such sandbox order.") from None
        raise Conflict(refused.gateway_message) from None
    sessions = request.app.state.sessions

    async def deliver_webhook() -> None:
        async with unit_of_work(sessions) as delivery:
            await receive_webhook(payments, delivery, paid.webhook.body, paid.webhook.headers)

    after_commit(session, deliver_webhook)
    return SandboxPaid(
        gateway_payment_id=paid.gateway_payment_id, signature=paid.signature, outcome=paid.outcome
    )
