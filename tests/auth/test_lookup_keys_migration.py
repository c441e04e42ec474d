"""The migration that brought the lookup keys fills them in for accounts that already exist,
including two that the old lower() index let hold one address."""

import secrets
from collections.abc import AsyncIterator

import anyio.to_thread
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import make_url, text

from storefront.core.database import create_engine, execute_outside_transaction
from storefront.core.migrations import alembic_config

REVISION = "8671e679e0ba"

_INSERT = text(
    "INSERT INTO users (user_id, username, email, mobile, password_hash, role, is_email_verified,"
    " is_mobile_verified, is_active, failed_login_count, session_version, created_at)"
    " VALUES (gen_random_uuid(), :username, :email, :mobile, 'x', 'customer', :verified, false,"
    " true, 0, 1, now() - make_interval(days => :age))"
)


@pytest.fixture
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    """An empty database beside the test run's, on the same server."""
    server = make_url(database_url)
    admin = server.render_as_string(hide_password=False)
    name = f"storefront_migration_{secrets.token_hex(4)}"
    await execute_outside_transaction(admin, f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    await execute_outside_transaction(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_existing_accounts_get_their_keys_and_a_shared_address_stays_with_one(
    scratch_url: str,
) -> None:
    config = alembic_config(scratch_url)
    before = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
    assert isinstance(before, str)
    await anyio.to_thread.run_sync(command.upgrade, config, before)
    engine = create_engine(scratch_url, pool_size=1)
    accounts = [  # username, email, mobile, verified, age in days
        ("John_Doe", "John.Doe@example.com", "+919876543210", False, 3),
        ("older_one", "i\u0307x@example.com", "+919812345678", False, 2),
        ("verified_one", "İx@example.com", "+919812345679", True, 1),
    ]
    try:
        async with engine.begin() as connection:
            for username, email, mobile, verified, age in accounts:
                values = {"username": username, "email": email, "mobile": mobile}
                await connection.execute(_INSERT, values | {"verified": verified, "age": age})

        await anyio.to_thread.run_sync(command.upgrade, config, REVISION)

        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT username, username_key, email_key FROM users ORDER BY username")
            )
            keys = {
                username: (username_key, email_key) for username, username_key, email_key in rows
            }
    finally:
        await engine.dispose()
    assert keys["John_Doe"] == ("john_doe", "john.doe@example.com")
    # The verified account keeps the address; the other can no longer be reached by it.
    assert keys["verified_one"] == ("verified_one", "i\u0307x@example.com")
    assert keys["older_one"][0] == "older_one"
    assert "@" not in keys["older_one"][1]
