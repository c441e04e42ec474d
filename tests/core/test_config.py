import re
from pathlib import Path

import pytest

from storefront.core.config import ConfigurationError, Environment, Settings, load_settings


def test_production_without_secret_key_and_database_url_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.delenv("STOREFRONT_SECRET_KEY", raising=False)
    monkeypatch.delenv("STOREFRONT_DATABASE_URL", raising=False)

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    assert str(error.value) == (
        "STOREFRONT_SECRET_KEY and STOREFRONT_DATABASE_URL must be set when "
        "STOREFRONT_ENV=production."
    )


def test_invalid_values_are_reported_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREFRONT_ENV", "staging")
    monkeypatch.setenv("STOREFRONT_MAX_BODY_BYTES", "-1")

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    message = str(error.value)
    assert "\n" not in message
    assert "STOREFRONT_ENV" in message
    assert "STOREFRONT_MAX_BODY_BYTES" in message


def test_development_needs_no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENV", "DATABASE_URL", "SECRET_KEY", "REDIS_URL", "BROKER_URL"):
        monkeypatch.delenv(f"STOREFRONT_{name}", raising=False)

    settings = Settings()

    assert settings.env is Environment.DEVELOPMENT
    assert settings.uses_embedded_database


def test_the_readme_lists_every_setting() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    documented = set(re.findall(r"`(STOREFRONT_[A-Z0-9_]+)`", readme))

    missing = {f"STOREFRONT_{name.upper()}" for name in Settings.model_fields} - documented

    assert missing == set()


def _production(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.setenv("STOREFRONT_SECRET_KEY", "a-production-secret-key")
    monkeypatch.setenv("STOREFRONT_DATABASE_URL", "postgresql://db.internal/storefront")
    for name in list(Settings.model_fields):
        if name.startswith(("payment_gateway", "razorpay_", "stripe_")):
            monkeypatch.delenv(f"STOREFRONT_{name.upper()}", raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(f"STOREFRONT_{name}", value)


def test_production_refuses_the_sandbox_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)

    with pytest.raises(ConfigurationError, match="STOREFRONT_PAYMENT_GATEWAY=sandbox"):
        load_settings()


def test_production_names_every_missing_key_of_the_chosen_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(monkeypatch, PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID="rzp_live_abc")

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    assert str(error.value) == (
        "STOREFRONT_PAYMENT_GATEWAY=razorpay needs STOREFRONT_RAZORPAY_KEY_SECRET and "
        "STOREFRONT_RAZORPAY_WEBHOOK_SECRET."
    )


def test_production_with_a_gateways_keys_starts_without_the_previous_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(
        monkeypatch,
        PAYMENT_GATEWAY="stripe",
        STRIPE_SECRET_KEY="sk_live_abc",
        STRIPE_PUBLISHABLE_KEY="pk_live_abc",
        STRIPE_WEBHOOK_SECRET="whsec_abc",
    )

    settings = load_settings()

    assert settings.payment_gateway == "stripe"
    assert settings.stripe_webhook_secret_previous is None
    assert settings.payment_gateway_timeout_seconds == 10
