"""Payment gateways behind one interface (base.PaymentGateway), chosen by a setting."""

from storefront.payments.gateways.base import (
    GatewayOrder,
    GatewayRefund,
    GatewayRejected,
    GatewayStatus,
    GatewayUnavailable,
    InvalidSignature,
    PaymentGateway,
    PaymentState,
    RefundState,
    WebhookEvent,
)
from storefront.payments.gateways.factory import build_gateway

__all__ = [
    "GatewayOrder",
    "GatewayRefund",
    "GatewayRejected",
    "GatewayStatus",
    "GatewayUnavailable",
    "InvalidSignature",
    "PaymentGateway",
    "PaymentState",
    "RefundState",
    "WebhookEvent",
    "build_gateway",
]
