from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.auth.conftest import NEW_PASSWORD, PASSWORD, logged_in, login
from tests.users.conftest import stored_user

PASSWORD_URL = "/api/v1/users/me/password"
ME = "/api/v1/users/me"


def change(
    current: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None
) -> dict[str, str]:
    return {
        "current_password": current,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    }


async def change_password(
    client: httpx.AsyncClient, tokens: dict[str, Any], body: dict[str, str]
) -> httpx.Response:
    return await client.post(PASSWORD_URL, json=body, headers=tokens["headers"])


async def test_a_change_ends_every_session_and_hands_the_caller_new_tokens(
    client: httpx.AsyncClient,
) -> None:
    tokens = await logged_in(client)
    other_device = (await login(client)).json()

    response = await change_password(client, tokens, change())

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "success",
        "message": "Password changed. Log in again on your other devices.",
        "user_id": tokens["user_id"],
        "token": body["token"],
        "refresh_token": body["refresh_token"],
        "expires_in": 3600,
        "token_type": "Bearer",
    }
    for old in (tokens, other_device):
        old_access = await client.get(ME, headers={"Authorization": f"Bearer {old['token']}"})
        assert old_access.status_code == 401
        refresh = {"refresh_token": old["refresh_token"]}
        assert (await client.post("/api/v1/auth/refresh", json=refresh)).status_code == 401
    new_access = await client.get(ME, headers={"Authorization": f"Bearer {body['token']}"})
    assert new_access.status_code == 200
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert (await login(client, "john_doe", PASSWORD)).status_code == 401
    assert (await login(client, "john_doe", NEW_PASSWORD)).status_code == 200


async def test_a_wrong_current_password_changes_nothing(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    before = (await stored_user(sessions, tokens["user_id"])).password_hash

    response = await change_password(client, tokens, change(current="Wrong@123$"))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "current_password", "message": "Current password is incorrect."}
    ]
    after = await stored_user(sessions, tokens["user_id"])
    assert (after.password_hash, after.session_version) == (before, 1)
    assert (await client.get(ME, headers=tokens["headers"])).status_code == 200
    assert (await login(client, "john_doe", PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (change(new="weak"), ["new_password"]),
        (change(new="John_Doe#2024"), ["new_password"]),  # contains the username
        (change(confirm="Other#Secret42"), ["confirm_password"]),
        (change(current="Wrong@123$", new="weak"), ["current_password", "new_password"]),
    ],
)
async def test_the_registration_rules_apply_to_the_new_password(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    body: dict[str, str],
    fields: list[str],
) -> None:
    tokens = await logged_in(client)
    before = (await stored_user(sessions, tokens["user_id"])).password_hash

    response = await change_password(client, tokens, body)

    assert response.status_code == 400
    assert list(dict.fromkeys(e["field"] for e in response.json()["errors"])) == fields
    assert (await stored_user(sessions, tokens["user_id"])).password_hash == before


async def test_a_missing_field_is_400(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    response = await change_password(client, tokens, {"new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {
        "current_password",
        "confirm_password",
    }


async def test_password_changes_are_rate_limited_per_account(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    wrong = [await change_password(client, tokens, change(current="Wrong@123$")) for _ in range(5)]
    right = await change_password(client, tokens, change())

    assert {r.status_code for r in wrong} == {400}
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1
    assert (await login(client, "john_doe", PASSWORD)).status_code == 200
