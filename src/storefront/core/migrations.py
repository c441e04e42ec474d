"""Runs the Alembic migrations that live in `migrations/` (shipped inside the wheel too)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

import storefront


def _script_location() -> Path:
    packaged = Path(storefront.__file__).parent / "migrations"
    return packaged if packaged.is_dir() else Path(storefront.__file__).parents[2] / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str) -> None:
    """Bring the schema to the newest revision (blocking: call from a thread inside async code)."""
    command.upgrade(alembic_config(database_url), "head")
