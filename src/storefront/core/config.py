"""Settings read from `STOREFRONT_*` environment variables (see the README for each one)."""

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    db_pool_size: int = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _production_needs_explicit_secrets(self) -> Self:
        if self.env is Environment.PRODUCTION:
            missing = [
                name
                for name, value in (
                    ("STOREFRONT_SECRET_KEY", self.secret_key),
                    ("STOREFRONT_DATABASE_URL", self.database_url),
                )
                if not value
            ]
            if missing:
                raise ConfigurationError(
                    f"{' and '.join(missing)} must be set when STOREFRONT_ENV=production."
                )
        return self

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one readable line."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"STOREFRONT_{'_'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigurationError(f"Invalid settings: {problems}") from None
