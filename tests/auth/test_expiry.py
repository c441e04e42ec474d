"""Expiry actually enforced, by moving the stored (or signed) time rather than waiting: a code,
a refresh token and an access token past their time are refused, while the same ones still in
time work (so each test would fail if the check were removed)."""

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import OneTimeCode, RefreshToken, Role
from storefront.auth.tokens import issue_access_token
from storefront.core.database import unit_of_work
from tests.auth.conftest import emailed_code, logged_in
from tests.smtp_sink import SmtpSink

EMAIL = "john.doe@example.com"


async def test_a_code_past_its_time_is_refused_and_the_same_code_in_time_works(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    code = await emailed_code(smtp_sink, EMAIL)
    url = "/api/v1/auth/verify/email/confirm"

    async def move_expiry(by: timedelta) -> None:
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(OneTimeCode).values(expires_at=OneTimeCode.expires_at + by)
            )

    await move_expiry(-timedelta(minutes=11))
    late = await client.post(url, json={"code": code}, headers=tokens["headers"])
    await move_expiry(timedelta(minutes=11))
    in_time = await client.post(url, json={"code": code}, headers=tokens["headers"])

    assert late.status_code == 400
    assert late.json()["errors"] == [{"field": "code", "message": "Invalid or expired code."}]
    assert in_time.status_code == 200


async def test_a_refresh_token_past_its_time_is_401_and_in_time_it_rotates(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    url = "/api/v1/auth/refresh"

    async def move_expiry(by: timedelta) -> None:
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(RefreshToken).values(expires_at=RefreshToken.expires_at + by)
            )

    await move_expiry(-timedelta(days=31))
    late = await client.post(url, json={"refresh_token": tokens["refresh_token"]})
    await move_expiry(timedelta(days=31))
    in_time = await client.post(url, json={"refresh_token": tokens["refresh_token"]})

    assert late.status_code == 401
    assert in_time.status_code == 200


async def test_an_access_token_past_its_exp_is_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)
    me = await client.get("/api/v1/users/me", headers=tokens["headers"])
    user_id = me.json()["user"]["user_id"]
    secret: str = app.state.auth.secret_key

    def token(ttl: int) -> dict[str, str]:
        issued = issue_access_token(
            secret,
            uuid.UUID(user_id),
            Role.CUSTOMER,
            1,
            ttl,
            session_id=uuid.uuid4(),
        )
        return {"Authorization": f"Bearer {issued}"}

    assert (await client.get("/api/v1/users/me", headers=token(-120))).status_code == 401
    assert (await client.get("/api/v1/users/me", headers=token(60))).status_code == 200
