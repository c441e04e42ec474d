import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import User
from storefront.auth.passwords import OWASP_HASHER, Passwords
from tests.auth.conftest import PASSWORD, login, register

INVALID = {"status": "error", "message": "Invalid username/email or password."}


class CountingHasher(PasswordHasher):
    """The app's argon2id parameters, counting the verifications: the hashing work of an
    answer, which is what its time gives away."""

    def __init__(self) -> None:
        super().__init__(
            time_cost=OWASP_HASHER.time_cost,
            memory_cost=OWASP_HASHER.memory_cost,
            parallelism=OWASP_HASHER.parallelism,
            hash_len=OWASP_HASHER.hash_len,
            salt_len=OWASP_HASHER.salt_len,
            type=OWASP_HASHER.type,
        )
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


async def test_login_answers_with_the_spec_body_and_a_refresh_token(
    client: httpx.AsyncClient,
) -> None:
    user_id = (await register(client))["user_id"]

    response = await login(client, "john.doe@example.com")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "success",
        "user_id": user_id,
        "token": body["token"],
        "expires_in": 3600,
        "refresh_token": body["refresh_token"],
        "token_type": "Bearer",
    }


async def test_username_email_and_mobile_all_log_in_ignoring_case(
    client: httpx.AsyncClient,
) -> None:
    await register(client)

    for identifier in ("JOHN_DOE", "John.Doe@Example.COM", "9876543210", "+919876543210"):
        assert (await login(client, identifier)).status_code == 200, identifier


async def test_wrong_password_and_unknown_account_look_the_same(client: httpx.AsyncClient) -> None:
    await register(client)

    wrong_password = await login(client, "john_doe", "Wrong@123$")
    unknown = await login(client, "nobody_here", PASSWORD)

    for response in (wrong_password, unknown):
        assert response.status_code == 401
        assert response.json() == INVALID
        assert response.headers["www-authenticate"] == "Bearer"


async def test_every_failure_costs_one_password_hash_locked_or_not_known_or_not(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client)
    for identifier in ("john_doe", "ghost_user"):  # lock both
        for _ in range(5):
            await login(client, identifier, "Wrong@123$")
    await register(client, username="jane_doe", email="jane@example.com", mobile="9812345678")
    hasher = CountingHasher()
    app.state.auth = replace(app.state.auth, passwords=Passwords(hasher=hasher))
    await login(client, "nobody_warmup", PASSWORD)  # the dummy hash is made on first use

    work = {}
    for identifier, expected in [
        ("jane_doe", 401),  # wrong password
        ("nobody_at_all", 401),  # no such account
        ("john_doe", 423),  # a locked account
        ("ghost_user", 423),  # a locked identifier with no account
    ]:
        hasher.verifications = 0
        response = await login(client, identifier, "Wrong@123$")
        assert response.status_code == expected, identifier
        work[identifier] = hasher.verifications

    assert work == {"jane_doe": 1, "nobody_at_all": 1, "john_doe": 1, "ghost_user": 1}


async def test_a_locked_answer_says_when_to_retry(client: httpx.AsyncClient) -> None:
    await register(client)
    for identifier in ("john_doe", "ghost_user"):
        for _ in range(5):
            await login(client, identifier, "Wrong@123$")

    for identifier in ("john_doe", "ghost_user"):
        response = await login(client, identifier, PASSWORD)
        assert response.status_code == 423
        assert 14 * 60 < int(response.headers["retry-after"]) <= 15 * 60


async def test_five_failures_lock_the_account_even_against_the_right_password(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await register(client)

    statuses = [(await login(client, "john_doe", "Wrong@123$")).status_code for _ in range(5)]
    locked = await login(client, "john.doe@example.com", PASSWORD)

    assert statuses == [401, 401, 401, 401, 423]
    assert locked.status_code == 423
    assert locked.json()["message"].startswith(
        "Account locked due to repeated failed logins. Try again after "
    )
    async with sessions() as session:
        until = await session.scalar(select(User.account_locked_until))
    assert until is not None
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)


async def test_after_the_lock_expires_the_right_password_works_and_the_count_resets(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await register(client)
    for _ in range(5):
        await login(client, "john_doe", "Wrong@123$")
    async with sessions() as session, session.begin():
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(User).values(account_locked_until=past))
    await app.state.auth.limiter.reset()  # this test logs in more often than the rate limit allows

    assert (await login(client)).status_code == 200
    for _ in range(4):
        assert (await login(client, "john_doe", "Wrong@123$")).status_code == 401
    assert (await login(client)).status_code == 200


async def test_a_success_resets_the_failure_count(client: httpx.AsyncClient) -> None:
    await register(client)
    for _ in range(4):
        await login(client, "john_doe", "Wrong@123$")

    assert (await login(client)).status_code == 200
    statuses = [(await login(client, "john_doe", "Wrong@123$")).status_code for _ in range(4)]

    assert statuses == [401] * 4


async def test_an_identifier_with_no_account_locks_exactly_like_a_real_one(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    real = [(await login(client, "john_doe", "Wrong@123$")).json() for _ in range(6)]
    ghost = [(await login(client, "ghost_user", "Wrong@123$")).json() for _ in range(6)]

    def shape(bodies: list[dict[str, str]]) -> list[str]:
        return [body["message"].split(" after ")[0] for body in bodies]

    assert shape(real) == shape(ghost)
    assert (await login(client, "ghost_user", PASSWORD)).status_code == 423


async def test_concurrent_failures_are_all_counted(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await register(client)

    await asyncio.gather(*(login(client, "john_doe", "Wrong@123$") for _ in range(5)))

    assert (await login(client)).status_code == 423


async def test_login_is_rate_limited_per_account(client: httpx.AsyncClient) -> None:
    statuses = [(await login(client, f"ghost{n}", "x")).status_code for n in range(1)]
    responses = [await login(client, "target_user", "Wrong@123$") for _ in range(11)]

    assert statuses == [401]
    assert responses[-1].status_code == 429
    assert int(responses[-1].headers["retry-after"]) >= 1


async def test_an_identifier_longer_than_any_account_can_have_is_400_on_the_field(
    client: httpx.AsyncClient,
) -> None:
    for identifier in ("a" * 321, f"{'a' * 310}@example.com"):
        response = await login(client, identifier)

        assert response.status_code == 400, response.text
        assert [error["field"] for error in response.json()["errors"]] == ["username_or_email"]


async def test_an_identifier_that_grows_when_normalised_is_still_counted(
    client: httpx.AsyncClient,
) -> None:
    # "İ" lowercases to two characters: 200 of them make a 400-character key.
    response = await login(client, "İ" * 200)

    assert response.json() == INVALID
