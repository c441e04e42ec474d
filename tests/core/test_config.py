import re
from pathlib import Path

import pytest

from storefront.core.config import ConfigurationError, Environment, Settings, load_settings


def test_production_without_secret_key_and_database_url_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(monkeypatch, SECRET_KEY=None, DATABASE_URL=None)

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


# A complete production configuration; each test breaks one part of it.
PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": "k" * 32,
    "DATABASE_URL": "postgresql://db.internal/storefront",
    "SMTP_URL": "smtp://mailer:secret@smtp.internal:587?starttls=required",
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC123",
    "TWILIO_AUTH_TOKEN": "twilio-token",
    "TWILIO_FROM_NUMBER": "+14155550100",
    "PAYMENT_GATEWAY": "razorpay",
    "RAZORPAY_KEY_ID": "rzp_live_abc",
    "RAZORPAY_KEY_SECRET": "rzp-secret",
    "RAZORPAY_WEBHOOK_SECRET": "rzp-webhook-secret",
}


def _production(monkeypatch: pytest.MonkeyPatch, **settings: str | None) -> None:
    """PRODUCTION with `settings` on top; a None value leaves that setting unset."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"STOREFRONT_{name.upper()}", raising=False)
    for name, value in (PRODUCTION | settings).items():
        if value is not None:
            monkeypatch.setenv(f"STOREFRONT_{name}", value)


def test_a_complete_production_configuration_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)

    settings = load_settings()

    assert settings.env is Environment.PRODUCTION


def test_production_refuses_the_sandbox_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, PAYMENT_GATEWAY=None)

    with pytest.raises(ConfigurationError, match="STOREFRONT_PAYMENT_GATEWAY=sandbox"):
        load_settings()


def test_production_names_every_missing_key_of_the_chosen_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(monkeypatch, RAZORPAY_KEY_SECRET=None, RAZORPAY_WEBHOOK_SECRET=None)

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


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "k" * 31,
        "é" * 15 + "k",  # 16 characters, 31 bytes
    ],
)
def test_production_refuses_a_secret_key_under_32_bytes_without_printing_it(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    _production(monkeypatch, SECRET_KEY=key)

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    message = str(error.value)
    assert message.startswith("STOREFRONT_SECRET_KEY must be at least 32 bytes")
    assert key not in message


def test_production_accepts_a_secret_key_of_32_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, SECRET_KEY="é" * 16)

    assert load_settings().secret_key is not None


def test_production_refuses_emails_written_to_files(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, SMTP_URL=None)

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    assert str(error.value) == (
        "STOREFRONT_SMTP_URL must be set when STOREFRONT_ENV=production (unset, emails are "
        "only written to files in the data directory)."
    )


def test_production_refuses_texts_written_to_files(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, SMS_BACKEND="console")

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    assert str(error.value) == (
        "STOREFRONT_SMS_BACKEND=console only writes texts to files in the data directory; set "
        "it to twilio when STOREFRONT_ENV=production."
    )


def test_production_reports_every_problem_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, SECRET_KEY="short", SMTP_URL=None, SMS_BACKEND=None)

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    message = str(error.value)
    assert "\n" not in message
    for setting in ("STOREFRONT_SECRET_KEY", "STOREFRONT_SMTP_URL", "STOREFRONT_SMS_BACKEND"):
        assert setting in message
