import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.auth.conftest import PASSWORD, logged_in, login, register
from tests.users.conftest import add_address, jane, stored_addresses, stored_user

ME = "/api/v1/users/me"


async def delete_me(
    client: httpx.AsyncClient, tokens: dict[str, Any], password: str = PASSWORD
) -> httpx.Response:
    return await client.request(
        "DELETE", ME, json={"password": password}, headers=tokens["headers"]
    )


async def test_deletion_anonymises_the_account_and_keeps_its_row(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await client.patch(ME, json={"full_name": "John Doe"}, headers=tokens["headers"])
    await add_address(client, tokens["headers"])

    response = await delete_me(client, tokens)

    assert response.status_code == 200
    assert response.json() == {"status": "success", "message": "Account deleted."}
    user = await stored_user(sessions, tokens["user_id"])
    assert re.fullmatch(r"deleted_[0-9a-f]{12}", user.username)
    assert re.fullmatch(r"deleted\+[0-9a-f-]{36}@invalid", user.email)
    assert re.fullmatch(r"\+0[0-9]{18}", user.mobile)
    assert user.full_name is None
    assert not user.password_hash.startswith("$argon2")
    assert (user.is_active, user.is_email_verified, user.is_mobile_verified) == (
        False,
        False,
        False,
    )
    assert await stored_addresses(sessions) == []


async def test_a_deleted_account_can_no_longer_log_in_or_use_its_tokens(
    client: httpx.AsyncClient,
) -> None:
    tokens = await logged_in(client)

    await delete_me(client, tokens)

    for identifier in ("john_doe", "john.doe@example.com", "9876543210"):
        assert (await login(client, identifier)).status_code == 401
    assert (await client.get(ME, headers=tokens["headers"])).status_code == 401
    refresh = {"refresh_token": tokens["refresh_token"]}
    assert (await client.post("/api/v1/auth/refresh", json=refresh)).status_code == 401


async def test_its_username_email_and_mobile_are_free_again(client: httpx.AsyncClient) -> None:
    await delete_me(client, await logged_in(client))

    await register(client)

    assert (await login(client)).status_code == 200


async def test_two_deleted_accounts_get_different_placeholders(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    john, other = await logged_in(client), await jane(client)

    assert (await delete_me(client, john)).status_code == 200
    assert (await delete_me(client, other)).status_code == 200

    first = await stored_user(sessions, john["user_id"])
    second = await stored_user(sessions, other["user_id"])
    assert first.username != second.username
    assert first.email != second.email
    assert first.mobile != second.mobile


async def test_a_wrong_password_deletes_nothing(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    await add_address(client, tokens["headers"])

    response = await delete_me(client, tokens, password="Wrong@123$")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "password", "message": "Password is incorrect."}]
    user = await stored_user(sessions, tokens["user_id"])
    assert (user.username, user.is_active) == ("john_doe", True)
    assert len(await stored_addresses(sessions)) == 1
    assert (await client.get(ME, headers=tokens["headers"])).status_code == 200


async def test_deletion_needs_the_password_in_the_body(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    without_body = await client.delete(ME, headers=tokens["headers"])
    empty_body = await client.request("DELETE", ME, json={}, headers=tokens["headers"])

    assert without_body.status_code == 400
    assert empty_body.status_code == 400
    assert empty_body.json()["errors"] == [
        {"field": "password", "message": "This field is required."}
    ]
    assert (await client.get(ME, headers=tokens["headers"])).status_code == 200


async def test_deletion_attempts_are_rate_limited_per_account(client: httpx.AsyncClient) -> None:
    tokens = await logged_in(client)

    wrong = [await delete_me(client, tokens, password="Wrong@123$") for _ in range(5)]
    right = await delete_me(client, tokens)

    assert {r.status_code for r in wrong} == {400}
    assert right.status_code == 429
    assert (await client.get(ME, headers=tokens["headers"])).status_code == 200
