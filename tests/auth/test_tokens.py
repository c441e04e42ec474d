import base64
import json
import time
import uuid
from datetime import timedelta

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.app import create_app
from storefront.auth.dependencies import AdminUser, CurrentUser
from storefront.auth.models import RevokedAccessToken, Role, User
from storefront.core.config import Settings
from storefront.core.database import unit_of_work
from storefront.core.events.models import PeriodicJobRun
from storefront.core.events.periodic import run_due_jobs
from storefront.core.http import API_PREFIX
from storefront.tasks import periodic_jobs
from tests.auth.conftest import logged_in, login

probe = APIRouter(prefix=API_PREFIX)


@probe.get("/probe/me")
async def me(claims: CurrentUser) -> dict[str, str]:
    return {"status": "success", "user_id": str(claims.user_id)}


@probe.get("/probe/admin")
async def admin_only(claims: AdminUser) -> dict[str, str]:
    return {"status": "success"}


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(probe)
    return app


def secret(app: FastAPI) -> str:
    key: str = app.state.auth.secret_key
    return key


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return decoded


async def test_access_token_claims(app: FastAPI, client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    claims = claims_of(tokens["token"])

    assert claims["sub"] == tokens["user_id"]
    assert (claims["iss"], claims["aud"], claims["typ"], claims["role"]) == (
        "storefront",
        "storefront-api",
        "access",
        "customer",
    )
    assert claims["exp"] == claims["iat"] + 3600  # type: ignore[operator]
    assert (await client.get("/api/v1/probe/me", headers=tokens["headers"])).status_code == 200


async def test_access_tokens_of_one_session_share_its_id(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    other_login = await login(client)

    session_ids = [claims_of(t)["sid"] for t in (tokens["token"], refreshed.json()["token"])]
    assert session_ids[0] == session_ids[1]
    assert uuid.UUID(str(session_ids[0]))
    assert claims_of(other_login.json()["token"])["sid"] != session_ids[0]


async def test_no_token_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/probe/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"status": "error", "message": "Authentication required."}


async def test_forged_tampered_and_expired_tokens_are_401(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tokens = await logged_in(client)
    claims = claims_of(tokens["token"])
    now = int(time.time())
    header, _, signature = tokens["token"].split(".")
    tampered_claims = base64.urlsafe_b64encode(
        json.dumps(claims | {"role": "admin"}).encode()
    ).rstrip(b"=")
    forged = {
        "tampered": f"{header}.{tampered_claims.decode()}.{signature}",
        "alg none": jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
        "other key": jwt.encode(claims, "not-the-key" * 4, algorithm="HS256"),
        "other algorithm": jwt.encode(claims, secret(app), algorithm="HS512"),
        "expired": jwt.encode(claims | {"exp": now - 1}, secret(app), algorithm="HS256"),
        "not yet valid": jwt.encode(claims | {"nbf": now + 600}, secret(app), algorithm="HS256"),
        "other audience": jwt.encode(claims | {"aud": "x"}, secret(app), algorithm="HS256"),
        "refresh as access": jwt.encode(
            claims | {"typ": "refresh"}, secret(app), algorithm="HS256"
        ),
        "missing jti": jwt.encode(
            {k: v for k, v in claims.items() if k != "jti"}, secret(app), algorithm="HS256"
        ),
        "missing sid": jwt.encode(
            {k: v for k, v in claims.items() if k != "sid"}, secret(app), algorithm="HS256"
        ),
        "malformed sid": jwt.encode(claims | {"sid": 42}, secret(app), algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    for name, token in forged.items():
        response = await client.get(
            "/api/v1/probe/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, name


async def test_a_disabled_users_tokens_are_refused_at_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    async with sessions() as session, session.begin():
        await session.execute(update(User).values(is_active=False))

    response = await client.get("/api/v1/probe/me", headers=tokens["headers"])

    assert response.status_code == 401


async def test_admin_routes_are_401_without_token_403_for_customers_200_for_admins(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)

    anonymous = await client.get("/api/v1/probe/admin")
    customer = await client.get("/api/v1/probe/admin", headers=tokens["headers"])
    async with sessions() as session, session.begin():
        await session.execute(update(User).values(role=Role.ADMIN))
    promoted = await client.get("/api/v1/probe/admin", headers=tokens["headers"])

    assert (anonymous.status_code, customer.status_code, promoted.status_code) == (401, 403, 200)
    assert customer.json() == {"status": "error", "message": "You are not allowed to do this."}


async def test_refresh_rotates_and_a_replayed_token_revokes_the_family(
    client: httpx.AsyncClient,
) -> None:
    tokens = await logged_in(client)
    first = tokens["refresh_token"]

    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first
    assert (
        await client.get(
            "/api/v1/probe/me", headers={"Authorization": f"Bearer {rotated.json()['token']}"}
        )
    ).status_code == 200

    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    after_replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})

    assert replay.status_code == 401
    assert after_replay.status_code == 401


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": uuid.uuid4().hex})

    assert response.status_code == 401


async def test_logout_ends_the_access_and_the_refresh_token(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    response = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers=tokens["headers"],
    )

    assert response.status_code == 200
    assert (await client.get("/api/v1/probe/me", headers=tokens["headers"])).status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_logout_with_only_the_bearer_token_ends_the_whole_session(
    client: httpx.AsyncClient,
) -> None:
    first = await logged_in(client)
    refreshed = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    bearer = {"Authorization": f"Bearer {refreshed['token']}"}
    other_device = (await login(client)).json()

    response = await client.post("/api/v1/auth/logout", headers=bearer)

    assert response.status_code == 200
    stolen_refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": refreshed["refresh_token"]}
    )
    assert stolen_refresh.status_code == 401
    for headers in (bearer, first["headers"]):  # the session's earlier access token too
        assert (await client.get("/api/v1/probe/me", headers=headers)).status_code == 401
    other_bearer = {"Authorization": f"Bearer {other_device['token']}"}
    assert (await client.get("/api/v1/probe/me", headers=other_bearer)).status_code == 200
    other_refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": other_device["refresh_token"]}
    )
    assert other_refresh.status_code == 200


async def test_a_logout_in_one_process_is_seen_by_every_other(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    tokens = await logged_in(client)
    first, second = create_app(settings), create_app(settings)
    for app in (first, second):
        app.include_router(probe)
    async with LifespanManager(first) as one, LifespanManager(second) as two:
        client_one = httpx.AsyncClient(transport=httpx.ASGITransport(one.app), base_url="http://a")
        client_two = httpx.AsyncClient(transport=httpx.ASGITransport(two.app), base_url="http://b")
        async with client_one, client_two:
            await client_one.post("/api/v1/auth/logout", headers=tokens["headers"])
            response = await client_two.get("/api/v1/probe/me", headers=tokens["headers"])

    assert response.status_code == 401


async def test_revocations_of_tokens_expired_since_are_purged_hourly(
    settings: Settings,
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await logged_in(client)
    second = await logged_in(
        client, username="jane_doe", email="jane@example.com", mobile="9876543211"
    )
    for tokens in (first, second):
        await client.post("/api/v1/auth/logout", headers=tokens["headers"])
    expired_jti = str(claims_of(first["token"])["sid"])
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(RevokedAccessToken)
            .where(RevokedAccessToken.jti == expired_jti)
            .values(expires_at=func.now() - timedelta(seconds=1))
        )
        # The app ran its jobs as it started: make this one due again.
        await session.execute(delete(PeriodicJobRun))

    ran = await run_due_jobs(sessions, periodic_jobs(settings, app.state.payments))

    assert "purge_expired_revocations" in ran
    async with sessions() as session:
        kept = set((await session.scalars(select(RevokedAccessToken.jti))).all())
    assert kept == {claims_of(second["token"])["sid"]}
    assert (await client.get("/api/v1/probe/me", headers=second["headers"])).status_code == 401
