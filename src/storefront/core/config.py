"""Settings read from `STOREFRONT_*` environment variables (see the README for each one)."""

import re
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# HS256 keys shorter than the hash output (RFC 7518 3.2) are refused in production.
MIN_SECRET_KEY_BYTES = 32
# What a browser sends in Origin: http(s), a host name or IP (IPv6 in brackets), maybe a port.
_ORIGIN = re.compile(r"https?://(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigurationError(Exception):
    """A setting is missing or unusable; the message is one line meant for an operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOREFRONT_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str | None = None
    data_dir: Path = Path(".data")
    redis_url: str | None = None
    broker_url: str | None = None
    secret_key: SecretStr | None = None
    demo_data: bool = True
    log_level: str = "INFO"
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    hsts_max_age: int = Field(default=31_536_000, ge=0)
    # Comma-separated in the environment (NoDecode: not JSON).
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    db_pool_size: int = Field(default=10, gt=0)
    db_read_pool_size: int = Field(default=10, gt=0)
    db_connect_timeout: float = Field(default=5.0, gt=0)
    db_statement_timeout: float = Field(default=10.0, gt=0)

    access_token_ttl: int = Field(default=3600, gt=0)
    refresh_token_ttl: int = Field(default=30 * 24 * 3600, gt=0)
    default_region: str = Field(default="IN", pattern=r"^[A-Z]{2}$")
    currency: str = Field(default="INR", pattern=r"^[A-Z]{3}$")
    login_max_failures: int = Field(default=5, gt=0)
    lockout_minutes: int = Field(default=15, gt=0)
    otp_ttl_seconds: int = Field(default=600, gt=0, le=600)
    otp_max_attempts: int = Field(default=5, gt=0)
    otp_resend_seconds: int = Field(default=60, ge=0)
    rate_limits: bool = True

    smtp_url: str | None = None
    smtp_from: str = "Storefront <no-reply@storefront.localhost>"
    sms_backend: Literal["console", "twilio"] = "console"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_api_base: str = "https://api.twilio.com"

    payment_gateway: Literal["sandbox", "razorpay", "stripe"] = "sandbox"
    payment_gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    payment_reconcile_after_seconds: int = Field(default=120, gt=0)
    razorpay_key_id: str | None = None
    razorpay_key_secret: SecretStr | None = None
    razorpay_webhook_secret: SecretStr | None = None
    razorpay_webhook_secret_previous: SecretStr | None = None
    razorpay_api_base: str = "https://api.razorpay.com"
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_webhook_secret_previous: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"

    worker_concurrency: int = Field(default=16, gt=0)
    event_max_attempts: int = Field(default=5, gt=0)
    event_retry_base_seconds: float = Field(default=2.0, gt=0)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_retention_days: int = Field(default=7, gt=0)
    outbox_redeliver_seconds: int = Field(default=300, gt=0)

    idempotency_ttl_hours: int = Field(default=24, gt=0)
    max_pending_orders: int = Field(default=3, gt=0)
    order_payment_minutes: int = Field(default=30, gt=0)

    cart_max_line_quantity: int = Field(default=10, gt=0)
    cart_max_lines: int = Field(default=50, gt=0)
    guest_cart_ttl_days: int = Field(default=30, gt=0)

    @field_validator("trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        return [_origin(origin) for origin in origins]

    @model_validator(mode="after")
    def _production_needs_a_complete_configuration(self) -> Self:
        if self.env is Environment.PRODUCTION and (problems := self._production_problems()):
            raise ConfigurationError(" ".join(problems))
        return self

    def _production_problems(self) -> list[str]:
        """Every reason this configuration cannot run production, one sentence each (a
        secret is named, never shown)."""
        problems = []
        missing = [
            name
            for name, value in (
                ("STOREFRONT_SECRET_KEY", self.secret_key),
                ("STOREFRONT_DATABASE_URL", self.database_url),
            )
            if not value
        ]
        if missing:
            problems.append(f"{' and '.join(missing)} must be set when STOREFRONT_ENV=production.")
        if (
            self.secret_key
            and len(self.secret_key.get_secret_value().encode()) < MIN_SECRET_KEY_BYTES
        ):
            problems.append(
                f"STOREFRONT_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes when "
                "STOREFRONT_ENV=production (generate one with: python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')."
            )
        if self.payment_gateway == "sandbox":
            problems.append(
                "STOREFRONT_PAYMENT_GATEWAY=sandbox takes no real money; set it to razorpay "
                "or stripe when STOREFRONT_ENV=production."
            )
        elif problem := self.payment_gateway_problem():
            problems.append(problem)
        if not self.smtp_url:
            problems.append(
                "STOREFRONT_SMTP_URL must be set when STOREFRONT_ENV=production (unset, emails "
                "are only written to files in the data directory)."
            )
        if self.sms_backend == "console":
            problems.append(
                "STOREFRONT_SMS_BACKEND=console only writes texts to files in the data "
                "directory; set it to twilio when STOREFRONT_ENV=production."
            )
        return problems

    def payment_gateway_problem(self) -> str | None:
        """Which of the chosen gateway's keys are unset, as one line for an operator (the
        previous webhook secrets are optional: they only matter during a rotation)."""
        required: dict[str, str | SecretStr | None]
        match self.payment_gateway:
            case "razorpay":
                required = {
                    "STOREFRONT_RAZORPAY_KEY_ID": self.razorpay_key_id,
                    "STOREFRONT_RAZORPAY_KEY_SECRET": self.razorpay_key_secret,
                    "STOREFRONT_RAZORPAY_WEBHOOK_SECRET": self.razorpay_webhook_secret,
                }
            case "stripe":
                required = {
                    "STOREFRONT_STRIPE_SECRET_KEY": self.stripe_secret_key,
                    "STOREFRONT_STRIPE_PUBLISHABLE_KEY": self.stripe_publishable_key,
                    "STOREFRONT_STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
                }
            case "sandbox":
                return None
        missing = [name for name, value in required.items() if not _is_set(value)]
        if not missing:
            return None
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        return f"STOREFRONT_PAYMENT_GATEWAY={self.payment_gateway} needs {names}."

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    def resolved_secret_key(self) -> str:
        """The configured key; outside production, one generated once and kept in the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_urlsafe(48))
        return key_file.read_text().strip()


def _origin(value: str) -> str:
    """`value` in lower case, as browsers send it in Origin, when it is an origin and no more."""
    origin = value.lower()
    if not _ORIGIN.fullmatch(origin):
        raise ValueError(
            f"{value!r} is not an origin: write scheme://host[:port], with no path or "
            "trailing slash (* is not accepted: list each origin)"
        )
    return origin


def _is_set(value: str | SecretStr | None) -> bool:
    return bool(value.get_secret_value() if isinstance(value, SecretStr) else value)


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one readable line."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{_setting_name(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"Invalid settings: {problems}") from None


def _setting_name(location: tuple[int | str, ...]) -> str:
    """The variable at fault: a list item's index is left out (TRUSTED_PROXIES, not _1)."""
    field = "_".join(part for part in location if isinstance(part, str))
    return f"STOREFRONT_{field.upper() or 'SETTINGS'}"
