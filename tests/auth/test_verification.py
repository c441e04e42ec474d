import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import OneTimeCode, User
from storefront.core.config import Settings
from storefront.core.events.models import OutboxEvent
from tests.auth.conftest import emailed_code, logged_in, texted_code, verify_email, verify_mobile
from tests.smtp_sink import SmtpSink

EMAIL = "john.doe@example.com"
MOBILE = "+919876543210"


async def verified_flags(sessions: async_sessionmaker[AsyncSession]) -> tuple[bool, bool]:
    async with sessions() as session:
        user = await session.scalar(select(User))
    assert user is not None
    return user.is_email_verified, user.is_mobile_verified


async def confirm(
    client: httpx.AsyncClient, headers: dict[str, str], what: str, code: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/auth/verify/{what}/confirm", json={"code": code}, headers=headers
    )


async def test_the_emailed_code_verifies_the_email_once(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    code = await emailed_code(smtp_sink, EMAIL)

    first = await confirm(client, tokens["headers"], "email", code)
    again = await confirm(client, tokens["headers"], "email", code)

    assert first.status_code == 200
    assert first.json() == {"status": "success", "message": "Email address verified."}
    assert again.status_code == 400
    assert await verified_flags(sessions) == (True, False)


async def test_the_texted_code_verifies_the_mobile(
    client: httpx.AsyncClient, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    code = await texted_code(settings.data_dir, MOBILE)

    response = await confirm(client, tokens["headers"], "mobile", code)

    assert response.status_code == 200
    assert await verified_flags(sessions) == (False, True)


async def test_a_code_works_only_for_its_own_purpose(
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tokens = await logged_in(client)
    email_code = await emailed_code(smtp_sink, EMAIL)
    mobile_code = await texted_code(settings.data_dir, MOBILE)

    assert (await confirm(client, tokens["headers"], "mobile", email_code)).status_code == 400
    assert (await confirm(client, tokens["headers"], "email", mobile_code)).status_code == 400
    reset = await client.post(
        "/api/v1/auth/password/reset",
        json={
            "identifier": EMAIL,
            "code": email_code,
            "new_password": "Better#Secret42",
            "confirm_password": "Better#Secret42",
        },
    )
    assert reset.status_code == 400
    assert await verified_flags(sessions) == (False, False)


async def test_a_wrong_code_is_400_on_the_code_field_and_five_kill_it(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    code = await emailed_code(smtp_sink, EMAIL)
    wrong = "000000" if code != "000000" else "111111"

    responses = [await confirm(client, tokens["headers"], "email", wrong) for _ in range(5)]
    right_too_late = await confirm(client, tokens["headers"], "email", code)

    assert {r.status_code for r in responses} == {400}
    assert responses[0].json()["errors"] == [
        {"field": "code", "message": "Invalid or expired code."}
    ]
    assert right_too_late.status_code == 400
    assert await verified_flags(sessions) == (False, False)


async def test_a_new_code_voids_the_old_one_after_the_resend_cooldown(
    client: httpx.AsyncClient,
    smtp_sink: SmtpSink,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tokens = await logged_in(client)
    old = await emailed_code(smtp_sink, EMAIL)

    too_soon = await client.post("/api/v1/auth/verify/email/request", headers=tokens["headers"])
    assert too_soon.status_code == 429
    assert int(too_soon.headers["retry-after"]) > 0

    await _age_codes(sessions)
    resent = await client.post("/api/v1/auth/verify/email/request", headers=tokens["headers"])
    assert resent.status_code == 200
    new = await emailed_code(smtp_sink, EMAIL, count=2)

    if old != new:
        assert (await confirm(client, tokens["headers"], "email", old)).status_code == 400
    assert (await confirm(client, tokens["headers"], "email", new)).status_code == 200


async def test_codes_are_stored_only_as_keyed_hashes(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await logged_in(client)
    code = await emailed_code(smtp_sink, EMAIL)

    async with sessions() as session:
        rows = (await session.scalars(select(OneTimeCode))).all()
    assert len(rows) == 2
    for row in rows:
        assert code not in row.code_hash
        assert len(row.code_hash) == 64
        assert (row.expires_at - row.created_at).total_seconds() <= 600 + 1


async def test_verification_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/verify/email/request")

    assert response.status_code == 401


async def _age_codes(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Move every code a year back, past the resend cooldown."""
    async with sessions() as session, session.begin():
        for row in (await session.scalars(select(OneTimeCode))).all():
            row.created_at = row.created_at.replace(year=row.created_at.year - 1)


async def _sent(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """Codes issued and messages queued so far."""
    async with sessions() as session:
        codes = await session.scalar(select(func.count()).select_from(OneTimeCode))
        messages = await session.scalar(select(func.count()).select_from(OutboxEvent))
    return codes or 0, messages or 0


async def test_a_verified_email_is_told_so_and_sent_no_code(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await verify_email(client, smtp_sink, tokens, EMAIL)
    await _age_codes(sessions)
    before = await _sent(sessions)

    response = await client.post("/api/v1/auth/verify/email/request", headers=tokens["headers"])

    assert response.status_code == 409
    assert response.json() == {"status": "error", "message": "This email is already verified."}
    assert await _sent(sessions) == before


async def test_a_verified_mobile_is_told_so_and_sent_no_code(
    client: httpx.AsyncClient, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await verify_mobile(client, settings.data_dir, tokens, MOBILE)
    await _age_codes(sessions)
    before = await _sent(sessions)

    response = await client.post("/api/v1/auth/verify/mobile/request", headers=tokens["headers"])

    assert response.status_code == 409
    assert response.json() == {
        "status": "error",
        "message": "This mobile number is already verified.",
    }
    assert await _sent(sessions) == before
