import logging

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import CodePurpose, OneTimeCode, User
from storefront.core.config import Settings
from tests.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    emailed_code,
    logged_in,
    login,
    texted_code,
    verify_email,
    verify_mobile,
)
from tests.smtp_sink import SmtpSink

EMAIL = "john.doe@example.com"
MOBILE = "+919876543210"
FORGOT = {
    "status": "success",
    "message": "If an account matches, a reset code has been sent to it.",
}
INVALID_CODE = {
    "status": "error",
    "message": "Invalid input.",
    "errors": [{"field": "code", "message": "Invalid or expired code."}],
}


def reset_body(code: str, identifier: str = EMAIL, password: str = NEW_PASSWORD) -> dict[str, str]:
    return {
        "identifier": identifier,
        "code": code,
        "new_password": password,
        "confirm_password": password,
    }


async def forgot(client: httpx.AsyncClient, identifier: str) -> httpx.Response:
    return await client.post("/api/v1/auth/password/forgot", json={"identifier": identifier})


async def reset_codes(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        rows = await session.scalars(
            select(OneTimeCode).where(OneTimeCode.purpose == CodePurpose.RESET_PASSWORD)
        )
        return len(rows.all())


async def test_forgot_answers_the_same_for_known_and_unknown_accounts_and_sends_only_to_known(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    tokens = await logged_in(client)
    await verify_email(client, smtp_sink, tokens, EMAIL)  # the code sent at registration

    known = await forgot(client, EMAIL)
    unknown = await forgot(client, "nobody@example.com")

    assert (known.status_code, known.json()) == (200, FORGOT)
    assert (unknown.status_code, unknown.json()) == (200, FORGOT)
    await emailed_code(smtp_sink, EMAIL, count=2)
    assert [m["To"] for m in smtp_sink.messages] == [EMAIL, EMAIL]


async def test_forgot_sends_nothing_to_a_contact_not_yet_verified(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await logged_in(client)  # neither contact verified

    answers = [await forgot(client, identifier) for identifier in (EMAIL, "9876543210")]

    assert [(r.status_code, r.json()) for r in answers] == [(200, FORGOT), (200, FORGOT)]
    assert await reset_codes(sessions) == 0


async def test_forgot_by_username_goes_to_the_verified_contact(
    client: httpx.AsyncClient, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await verify_mobile(client, settings.data_dir, tokens, MOBILE)

    await forgot(client, "john_doe")
    code = await texted_code(settings.data_dir, MOBILE, count=2)

    reset = await client.post(
        "/api/v1/auth/password/reset", json=reset_body(code, identifier="john_doe")
    )
    assert reset.status_code == 200


async def test_reset_by_email_sets_the_password_and_ends_every_session(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    tokens = await logged_in(client)
    await verify_email(client, smtp_sink, tokens, EMAIL)
    await forgot(client, EMAIL)
    code = await emailed_code(smtp_sink, EMAIL, count=2)

    response = await client.post("/api/v1/auth/password/reset", json=reset_body(code))

    assert response.status_code == 200
    assert (await login(client, "john_doe", PASSWORD)).status_code == 401
    assert (await login(client, "john_doe", NEW_PASSWORD)).status_code == 200
    old_refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert old_refresh.status_code == 401
    old_access = await client.post("/api/v1/auth/verify/email/request", headers=tokens["headers"])
    assert old_access.status_code == 401
    again = await client.post("/api/v1/auth/password/reset", json=reset_body(code))
    assert again.status_code == 400


async def test_reset_by_mobile_uses_a_texted_code(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tokens = await logged_in(client)
    await verify_mobile(client, settings.data_dir, tokens, MOBILE)
    await forgot(client, "9876543210")
    code = await texted_code(settings.data_dir, MOBILE, count=2)

    response = await client.post(
        "/api/v1/auth/password/reset", json=reset_body(code, identifier="9876543210")
    )

    assert response.status_code == 200


async def test_reset_applies_the_password_rules_and_keeps_the_code_for_a_retry(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    tokens = await logged_in(client)
    await verify_email(client, smtp_sink, tokens, EMAIL)
    await forgot(client, EMAIL)
    code = await emailed_code(smtp_sink, EMAIL, count=2)

    weak = await client.post("/api/v1/auth/password/reset", json=reset_body(code, password="weak"))
    strong = await client.post("/api/v1/auth/password/reset", json=reset_body(code))

    assert weak.status_code == 400
    assert {e["field"] for e in weak.json()["errors"]} == {"new_password"}
    assert strong.status_code == 200


async def test_a_completed_reset_lifts_a_lockout(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await verify_email(client, smtp_sink, tokens, EMAIL)
    for _ in range(5):
        await login(client, "john_doe", "Wrong@123$")
    assert (await login(client, "john_doe", PASSWORD)).status_code == 423

    await forgot(client, EMAIL)
    code = await emailed_code(smtp_sink, EMAIL, count=2)
    assert (
        await client.post("/api/v1/auth/password/reset", json=reset_body(code))
    ).status_code == 200

    async with sessions() as session:
        assert await session.scalar(select(User.account_locked_until)) is None
    assert (await login(client, EMAIL, NEW_PASSWORD)).status_code == 200


async def test_reset_for_an_unknown_account_is_a_plain_invalid_code(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/password/reset", json=reset_body("123456", identifier="nobody@example.com")
    )

    assert response.status_code == 400
    assert response.json() == INVALID_CODE


@pytest.mark.parametrize(
    "new_password",
    ["weak", "xJohn_Doe1!", NEW_PASSWORD],  # too weak, holds the username, acceptable
)
async def test_a_wrong_code_answers_the_same_for_a_real_and_an_unknown_account(
    client: httpx.AsyncClient, new_password: str
) -> None:
    await logged_in(client)

    real = await client.post(
        "/api/v1/auth/password/reset", json=reset_body("123456", password=new_password)
    )
    unknown = await client.post(
        "/api/v1/auth/password/reset",
        json=reset_body("123456", identifier="nobody@example.com", password=new_password),
    )

    assert (real.status_code, real.json()) == (400, INVALID_CODE)
    assert (unknown.status_code, unknown.json()) == (400, INVALID_CODE)


async def test_no_secret_reaches_the_logs_in_a_full_account_flow(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = await logged_in(client)
    verify_code = await emailed_code(smtp_sink, EMAIL)
    await client.post(
        "/api/v1/auth/verify/email/confirm", json={"code": verify_code}, headers=tokens["headers"]
    )
    await forgot(client, EMAIL)
    reset_code = await emailed_code(smtp_sink, EMAIL, count=2)
    await client.post("/api/v1/auth/password/reset", json=reset_body(reset_code))
    await login(client, "john_doe", NEW_PASSWORD)

    # What this process logged; the test's SMTP server (the outside world) logs mail it receives.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name == "storefront.http" for r in ours)
    for secret in (
        PASSWORD,
        NEW_PASSWORD,
        verify_code,
        reset_code,
        tokens["token"],
        tokens["refresh_token"],
    ):
        leaks = [r.name for r in ours if secret in f"{r.getMessage()} {vars(r)}"]
        assert leaks == []
