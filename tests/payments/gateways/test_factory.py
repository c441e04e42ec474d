"""STOREFRONT_PAYMENT_GATEWAY chooses the gateway; each needs its keys."""

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import ConfigurationError, Settings
from storefront.payments.gateways import build_gateway
from storefront.payments.gateways.razorpay import RazorpayGateway
from storefront.payments.gateways.sandbox import SandboxGateway
from storefront.payments.gateways.stripe import StripeGateway


def _razorpay(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        payment_gateway="razorpay",
        razorpay_key_id="rzp_test_1DP5mmOlF5G5ag",
        razorpay_key_secret=SecretStr("key-secret"),
        razorpay_webhook_secret=SecretStr("webhook-secret"),
    )


def _stripe(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        payment_gateway="stripe",
        stripe_secret_key=SecretStr("sk_test_123"),
        stripe_publishable_key="pk_test_123",
        stripe_webhook_secret=SecretStr("whsec_123"),
    )


async def test_the_default_is_the_sandbox(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    gateway = build_gateway(Settings(data_dir=tmp_path), sessions)

    assert isinstance(gateway, SandboxGateway)
    assert gateway.name == "sandbox"


async def test_razorpay_and_stripe_are_built_from_their_settings(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    razorpay = build_gateway(_razorpay(tmp_path), sessions)
    stripe = build_gateway(_stripe(tmp_path), sessions)

    assert isinstance(razorpay, RazorpayGateway)
    assert isinstance(stripe, StripeGateway)
    assert (razorpay.name, stripe.name) == ("razorpay", "stripe")
    await razorpay.aclose()
    await stripe.aclose()


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        (_razorpay, "razorpay_key_id"),
        (_razorpay, "razorpay_key_secret"),
        (_razorpay, "razorpay_webhook_secret"),
        (_stripe, "stripe_secret_key"),
        (_stripe, "stripe_publishable_key"),
        (_stripe, "stripe_webhook_secret"),
    ],
)
def test_a_gateway_without_its_keys_is_a_configuration_error(
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    settings: Callable[[Path], Settings],
    missing: str,
) -> None:
    incomplete = settings(tmp_path).model_copy(update={missing: None})

    with pytest.raises(ConfigurationError) as error:
        build_gateway(incomplete, sessions)

    gateway = incomplete.payment_gateway
    assert str(error.value) == (
        f"STOREFRONT_PAYMENT_GATEWAY={gateway} needs STOREFRONT_{missing.upper()}."
    )
