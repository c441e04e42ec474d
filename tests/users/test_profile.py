import asyncio
import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import CodePurpose, OneTimeCode, Role
from storefront.core.config import Settings
from tests.auth.conftest import PASSWORD, emailed_code, logged_in, texted_code
from tests.smtp_sink import SmtpSink
from tests.users.conftest import jane, stored_user

ME = "/api/v1/users/me"
EMAIL = "john.doe@example.com"
UTC_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
CURRENT_PASSWORD_REQUIRED = "Current password is required to change email or mobile."
CONTACT_CHANGED = "Your Storefront contact details were changed"


async def patch_me(
    client: httpx.AsyncClient, tokens: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(ME, json=body, headers=tokens["headers"])


async def confirm(
    client: httpx.AsyncClient, tokens: dict[str, Any], what: str, code: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/auth/verify/{what}/confirm", json={"code": code}, headers=tokens["headers"]
    )


async def forgot(client: httpx.AsyncClient, identifier: str) -> httpx.Response:
    return await client.post("/api/v1/auth/password/forgot", json={"identifier": identifier})


async def codes_sent(sessions: async_sessionmaker[AsyncSession], purpose: CodePurpose) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(OneTimeCode).where(OneTimeCode.purpose == purpose)
        )
    return count or 0


async def test_me_answers_with_the_profile(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    response = await client.get(ME, headers=tokens["headers"])

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "success",
        "user": {
            "user_id": tokens["user_id"],
            "username": "john_doe",
            "email": EMAIL,
            "mobile": "+919876543210",
            "full_name": None,
            "is_email_verified": False,
            "is_mobile_verified": False,
            "created_at": body["user"]["created_at"],
        },
    }
    assert UTC_TIMESTAMP.fullmatch(body["user"]["created_at"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ME),
        ("PATCH", ME),
        ("DELETE", ME),
        ("POST", f"{ME}/password"),
        ("GET", f"{ME}/addresses"),
        ("POST", f"{ME}/addresses"),
    ],
)
async def test_every_route_needs_a_login(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_full_name_is_trimmed_and_saved(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)

    response = await patch_me(client, tokens, {"full_name": "  John Doe  "})

    assert response.status_code == 200
    assert response.json()["user"]["full_name"] == "John Doe"
    assert (await stored_user(sessions, tokens["user_id"])).full_name == "John Doe"


@pytest.mark.parametrize(
    ("full_name", "message"),
    [
        ("   ", "Full name must be 1-100 characters."),
        ("x" * 101, "Full name must be 1-100 characters."),
        (None, "This field cannot be null."),
        (42, "Input should be a valid string."),
    ],
)
async def test_full_name_rules(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    full_name: object,
    message: str,
) -> None:
    tokens = await logged_in(client)

    response = await patch_me(client, tokens, {"full_name": full_name})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "full_name", "message": message}]
    assert (await stored_user(sessions, tokens["user_id"])).full_name is None


async def test_a_new_email_is_unverified_until_the_code_sent_to_it_is_confirmed(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    assert (await confirm(client, tokens, "email", await emailed_code(smtp_sink, EMAIL))).is_success
    old_code_count = await codes_sent(sessions, CodePurpose.VERIFY_EMAIL)

    response = await patch_me(
        client, tokens, {"email": "John.New@Example.COM", "current_password": PASSWORD}
    )

    assert response.status_code == 200
    user = response.json()["user"]
    assert (user["email"], user["is_email_verified"]) == ("John.New@example.com", False)
    assert await codes_sent(sessions, CodePurpose.VERIFY_EMAIL) == old_code_count + 1
    code = await emailed_code(smtp_sink, "John.New@example.com")
    assert (await confirm(client, tokens, "email", code)).status_code == 200
    stored = await stored_user(sessions, tokens["user_id"])
    assert (stored.email, stored.is_email_verified) == ("John.New@example.com", True)


async def test_a_new_mobile_is_unverified_until_the_texted_code_is_confirmed(
    client: httpx.AsyncClient, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    first = await texted_code(settings.data_dir, "+919876543210")
    assert (await confirm(client, tokens, "mobile", first)).status_code == 200

    response = await patch_me(
        client, tokens, {"mobile": "98123 45678", "current_password": PASSWORD}
    )

    assert response.status_code == 200
    user = response.json()["user"]
    assert (user["mobile"], user["is_mobile_verified"]) == ("+919812345678", False)
    code = await texted_code(settings.data_dir, "+919812345678")
    assert (await confirm(client, tokens, "mobile", code)).status_code == 200
    assert (await stored_user(sessions, tokens["user_id"])).is_mobile_verified


async def test_values_equal_to_the_stored_ones_change_nothing(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await confirm(client, tokens, "email", await emailed_code(smtp_sink, EMAIL))

    response = await patch_me(client, tokens, {"email": EMAIL, "mobile": "9876543210"})

    assert response.status_code == 200
    assert response.json()["user"]["is_email_verified"] is True
    assert await codes_sent(sessions, CodePurpose.VERIFY_EMAIL) == 1
    assert await codes_sent(sessions, CodePurpose.VERIFY_MOBILE) == 1


async def test_an_email_or_mobile_of_another_account_is_a_conflict(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await jane(client)

    response = await patch_me(
        client,
        tokens,
        {
            "full_name": "John",
            "email": "JANE.DOE@example.com",
            "mobile": "+91 98123 45678",
            "current_password": PASSWORD,
        },
    )

    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "email", "message": "This email is already registered."},
        {"field": "mobile", "message": "This mobile number is already registered."},
    ]
    stored = await stored_user(sessions, tokens["user_id"])
    assert (stored.email, stored.mobile, stored.full_name) == (EMAIL, "+919876543210", None)


async def test_invalid_contacts_are_reported_per_field(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    response = await patch_me(client, tokens, {"email": "not-an-email", "mobile": "12345"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "email", "message": "Enter a valid email address."},
        {"field": "mobile", "message": "Enter a valid mobile number."},
        {"field": "current_password", "message": CURRENT_PASSWORD_REQUIRED},
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_id", "00000000-0000-0000-0000-000000000000"),
        ("username", "someone_else"),
        ("is_email_verified", True),
        ("is_mobile_verified", True),
        ("role", "admin"),
        ("password_hash", "x"),
        ("is_active", False),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("nickname", "Johnny"),
    ],
)
async def test_read_only_and_unknown_fields_are_refused_and_never_applied(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], field: str, value: object
) -> None:
    tokens = await logged_in(client)
    before = await stored_user(sessions, tokens["user_id"])

    response = await patch_me(client, tokens, {"full_name": "John", field: value})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "message": "Unknown field."}]
    after = await stored_user(sessions, tokens["user_id"])
    assert after.full_name is None
    assert after.role == Role.CUSTOMER
    assert (after.username, after.password_hash, after.is_email_verified, after.is_active) == (
        before.username,
        before.password_hash,
        before.is_email_verified,
        before.is_active,
    )


async def test_two_accounts_racing_for_one_email_get_one_success_and_one_conflict(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    john, other = await logged_in(client), await jane(client)

    for n in range(5):
        email = f"shared{n}@example.com"
        responses = await asyncio.gather(
            patch_me(client, john, {"email": email, "current_password": PASSWORD}),
            patch_me(client, other, {"email": email, "current_password": PASSWORD}),
        )

        assert sorted(r.status_code for r in responses) == [200, 409]
        conflict = next(r for r in responses if r.status_code == 409)
        assert [e["field"] for e in conflict.json()["errors"]] == ["email"]
        owners = [
            (await stored_user(sessions, tokens["user_id"])).email for tokens in (john, other)
        ]
        assert owners.count(email) == 1


async def test_a_code_sent_to_the_old_email_cannot_verify_the_new_one(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    old_code = await emailed_code(smtp_sink, EMAIL)

    await patch_me(client, tokens, {"email": "john.new@example.com", "current_password": PASSWORD})
    new_code = await emailed_code(smtp_sink, "john.new@example.com")

    if old_code != new_code:
        assert (await confirm(client, tokens, "email", old_code)).status_code == 400
    assert (await confirm(client, tokens, "email", new_code)).status_code == 200
    assert (await stored_user(sessions, tokens["user_id"])).email == "john.new@example.com"


async def test_contact_changes_are_rate_limited_per_account(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    changes = [
        await patch_me(
            client, tokens, {"email": f"john{n}@example.com", "current_password": PASSWORD}
        )
        for n in range(10)
    ]
    too_many = await patch_me(
        client, tokens, {"email": "john.last@example.com", "current_password": PASSWORD}
    )
    name_only = await patch_me(client, tokens, {"full_name": "John"})

    assert {r.status_code for r in changes} == {200}
    assert too_many.status_code == 429
    assert int(too_many.headers["retry-after"]) >= 1
    assert name_only.status_code == 200
    assert name_only.json()["user"]["email"] == "john9@example.com"


@pytest.mark.parametrize(
    ("change", "password", "message"),
    [
        ({"email": "attacker@example.com"}, None, CURRENT_PASSWORD_REQUIRED),
        ({"email": "attacker@example.com"}, "Wrong@123$", "Current password is incorrect."),
        ({"mobile": "9812345678"}, None, CURRENT_PASSWORD_REQUIRED),
        ({"mobile": "9812345678"}, "Wrong@123$", "Current password is incorrect."),
    ],
)
async def test_a_token_alone_cannot_change_the_email_or_mobile(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    change: dict[str, str],
    password: str | None,
    message: str,
) -> None:
    tokens = await logged_in(client)
    body = change | ({} if password is None else {"current_password": password})

    response = await patch_me(client, tokens, body | {"full_name": "Mallory"})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "current_password", "message": message}]
    stored = await stored_user(sessions, tokens["user_id"])
    assert (stored.email, stored.mobile, stored.full_name) == (EMAIL, "+919876543210", None)
    assert await codes_sent(sessions, CodePurpose.VERIFY_EMAIL) == 1  # registration's only
    assert await codes_sent(sessions, CodePurpose.VERIFY_MOBILE) == 1


async def test_the_name_alone_changes_without_the_password(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    response = await patch_me(client, tokens, {"full_name": "John"})

    assert response.status_code == 200


async def notices(sink: SmtpSink, to: str, count: int = 1) -> list[str]:
    """The text of the contact-change notices sent to `to`, once `count` have arrived."""
    deadline = time.monotonic() + 10
    while True:
        found = [m for m in sink.messages if m["To"] == to and m["Subject"] == CONTACT_CHANGED]
        if len(found) >= count:
            return [m.get_body(("plain",)).get_content() for m in found]  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            pytest.fail(f"no contact-change notice number {count} to {to}")
        await asyncio.sleep(0.02)


async def test_the_old_address_is_told_of_an_email_change_and_the_email_of_a_mobile_change(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    tokens = await logged_in(client)
    new = "john.new@example.com"

    await patch_me(client, tokens, {"email": new, "current_password": PASSWORD})
    await patch_me(client, tokens, {"mobile": "9812345678", "current_password": PASSWORD})

    (email_notice,) = await notices(smtp_sink, EMAIL)
    assert "The email address of your Storefront account was just changed." in email_notice
    assert new not in email_notice  # the old address may no longer be the owner's
    (mobile_notice,) = await notices(smtp_sink, new)
    assert "The mobile number of your Storefront account was just changed." in mobile_notice


async def test_after_an_email_change_resets_go_only_to_verified_contacts(
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tokens = await logged_in(client)
    await confirm(client, tokens, "mobile", await texted_code(settings.data_dir, "+919876543210"))
    change = {"email": "attacker@example.com", "current_password": PASSWORD}
    assert (await patch_me(client, tokens, change)).status_code == 200

    by_new_email = await forgot(client, "attacker@example.com")
    assert by_new_email.status_code == 200
    assert await codes_sent(sessions, CodePurpose.RESET_PASSWORD) == 0

    await forgot(client, "9876543210")
    code = await texted_code(settings.data_dir, "+919876543210", count=2)
    reset = await client.post(
        "/api/v1/auth/password/reset",
        json={
            "identifier": "9876543210",
            "code": code,
            "new_password": "Better#Secret42",
            "confirm_password": "Better#Secret42",
        },
    )
    assert reset.status_code == 200
