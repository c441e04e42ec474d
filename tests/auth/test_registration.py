import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import User
from tests.auth.conftest import PASSWORD, emailed_code, login, register, registration
from tests.smtp_sink import SmtpSink


async def test_registration_answers_with_the_spec_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json=registration())

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "status": "success",
        "user_id": body["user_id"],
        "message": "Registration successful. Please verify your email/mobile.",
    }
    assert uuid.UUID(body["user_id"]).version == 4


async def test_the_account_is_stored_normalised_with_an_argon2id_hash(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await register(client, email="John.Doe@EXAMPLE.com")

    async with sessions() as session:
        user = await session.scalar(select(User))
    assert user is not None
    assert (user.username, user.email, user.mobile) == (
        "john_doe",
        "John.Doe@example.com",
        "+919876543210",
    )
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in user.password_hash
    assert (user.is_email_verified, user.is_mobile_verified, user.role) == (
        False,
        False,
        "customer",
    )


async def test_every_broken_rule_is_reported_at_once_with_the_spec_messages(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = registration(
        username="john",
        email="not-an-email",
        mobile="12345",
        password="john@123$",
        confirm_password="something else",
    )

    response = await client.post("/api/v1/auth/register", json=body)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"field": "username", "message": "Username must be 6-20 characters."} in errors
    assert {
        "field": "password",
        "message": "Password must contain at least one uppercase letter.",
    } in errors
    assert {e["field"] for e in errors} == {
        "username",
        "email",
        "mobile",
        "password",
        "confirm_password",
    }
    async with sessions() as session:
        assert await session.scalar(select(User)) is None


async def test_password_rules(client: httpx.AsyncClient) -> None:
    cases = {
        "Sh0rt!": "Password must be 8-128 characters.",
        "NOLOWER123!": "Password must contain at least one lowercase letter.",
        "NoDigits!!": "Password must contain at least one digit.",
        "NoSpecial123": "Password must contain at least one special character.",
        "xJohn_Doe1!": "Password must not contain the username.",
        "A" * 100 + "a1!" + "b" * 30: "Password must be 8-128 characters.",
    }
    for password, message in cases.items():
        body = registration(password=password, confirm_password=password)
        response = await client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 400
        assert {"field": "password", "message": message} in response.json()["errors"]


async def test_long_unicode_passwords_with_spaces_are_accepted_whole(
    client: httpx.AsyncClient,
) -> None:
    password = "Ünïcödé pass phrase with spaces 1! " * 2  # 70 characters
    await register(client, password=password, confirm_password=password)

    ok = await client.post(
        "/api/v1/auth/login", json={"username_or_email": "john_doe", "password": password}
    )
    truncated = await client.post(
        "/api/v1/auth/login", json={"username_or_email": "john_doe", "password": password[:64]}
    )

    assert ok.status_code == 200
    assert truncated.status_code == 401


async def test_taken_username_email_or_mobile_is_409_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    await register(client)

    response = await client.post(
        "/api/v1/auth/register",
        json=registration(
            username="JOHN_DOE", email="JOHN.DOE@example.com", mobile="+91 98765 43210"
        ),
    )

    assert response.status_code == 409
    assert {e["field"] for e in response.json()["errors"]} == {"username", "email", "mobile"}


async def test_registration_sends_both_verification_codes(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await register(client)

    code = await emailed_code(smtp_sink, "john.doe@example.com")

    assert len(code) == 6


async def test_read_only_and_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    body = registration() | {"role": "admin", "is_email_verified": True}

    response = await client.post("/api/v1/auth/register", json=body)

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"role", "is_email_verified"}


async def test_missing_fields_and_wrong_types_are_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json={"username": 12})

    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"username", "email", "mobile", "password", "confirm_password"}


async def test_emails_equal_once_case_is_folded_are_one_account(
    client: httpx.AsyncClient,
) -> None:
    first = await register(client, email="İx@example.com")

    # "i̇" here is "i" and a combining dot: what Python's lower() makes of "İ".
    second = await client.post(
        "/api/v1/auth/register",
        json=registration(username="jane_doe", email="i\u0307x@example.com", mobile="9812345678"),
    )
    logged_in = await login(client, "I\u0307X@EXAMPLE.COM")

    assert second.status_code == 409
    assert second.json()["errors"] == [
        {"field": "email", "message": "This email is already registered."}
    ]
    assert logged_in.status_code == 200
    assert logged_in.json()["user_id"] == first["user_id"]


async def test_a_fullwidth_lookalike_of_a_registered_email_is_taken(
    client: httpx.AsyncClient,
) -> None:
    await register(client)

    lookalike = "\uff4a\uff4f\uff48\uff4e.doe@example.com"  # "john" in fullwidth letters

    response = await client.post(
        "/api/v1/auth/register",
        json=registration(username="jane_doe", email=lookalike, mobile="9812345678"),
    )

    assert response.status_code == 409
    assert [e["field"] for e in response.json()["errors"]] == ["email"]


@pytest.mark.parametrize("username", ["9812345678", "123456"])
async def test_a_digits_only_username_is_refused(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], username: str
) -> None:
    # A login by "9812345678" is read as that mobile number: the username could never log in,
    # and its failures would lock the account that has the number.
    await register(client, username="jane_doe", email="jane@example.com", mobile="9812345678")

    response = await client.post("/api/v1/auth/register", json=registration(username=username))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "username", "message": "Username must not be only digits."}
    ]
    async with sessions() as session:
        assert (await session.scalars(select(User.username))).all() == ["jane_doe"]
