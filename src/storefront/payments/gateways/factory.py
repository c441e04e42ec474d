"""The gateway chosen by STOREFRONT_PAYMENT_GATEWAY, built from its settings."""

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import ConfigurationError, Settings
from storefront.payments.gateways.base import PaymentGateway
from storefront.payments.gateways.razorpay import RazorpayGateway
from storefront.payments.gateways.sandbox import SandboxGateway
from storefront.payments.gateways.stripe import StripeGateway


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def build_gateway(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> PaymentGateway:
    """sessions are used by the sandbox only (its own tables); the others speak HTTP."""
    if problem := settings.payment_gateway_problem():
        raise ConfigurationError(problem)
    timeout = settings.payment_gateway_timeout_seconds
    match settings.payment_gateway:
        case "razorpay":
            return RazorpayGateway(
                key_id=settings.razorpay_key_id or "",
                key_secret=_secret(settings.razorpay_key_secret),
                webhook_secrets=[
                    _secret(settings.razorpay_webhook_secret),
                    _secret(settings.razorpay_webhook_secret_previous),
                ],
                api_base=settings.razorpay_api_base,
                timeout_seconds=timeout,
            )
        case "stripe":
            return StripeGateway(
                secret_key=_secret(settings.stripe_secret_key),
                publishable_key=settings.stripe_publishable_key or "",
                webhook_secrets=[
                    _secret(settings.stripe_webhook_secret),
                    _secret(settings.stripe_webhook_secret_previous),
                ],
                api_base=settings.stripe_api_base,
                timeout_seconds=timeout,
            )
        case "sandbox":
            return SandboxGateway(sessions, secret_key=settings.resolved_secret_key())
