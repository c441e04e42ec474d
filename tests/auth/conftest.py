"""Accounts tests go through HTTP, with one-time codes read from what a user receives: emails at
the SMTP sink, and text messages written by the development SMS backend."""

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from storefront.core.config import Settings
from tests.smtp_sink import SmtpSink

PASSWORD = "John@123$"
NEW_PASSWORD = "Better#Secret42"
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_sink.url, "outbox_poll_seconds": 0.05})


def registration(**overrides: str) -> dict[str, str]:
    body = {
        "username": "john_doe",
        "email": "john.doe@example.com",
        "mobile": "9876543210",
        "password": PASSWORD,
        "confirm_password": PASSWORD,
    }
    return body | overrides


async def register(client: httpx.AsyncClient, **overrides: str) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/register", json=registration(**overrides))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def login(
    client: httpx.AsyncClient, identifier: str = "john_doe", password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username_or_email": identifier, "password": password}
    )


async def logged_in(client: httpx.AsyncClient, **overrides: str) -> dict[str, Any]:
    """Register and log in; the login body, with the bearer header ready under "headers"."""
    await register(client, **overrides)
    username = overrides.get("username", "john_doe")
    response = await login(client, username, overrides.get("password", PASSWORD))
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    tokens["headers"] = {"Authorization": f"Bearer {tokens['token']}"}
    return tokens


async def verify_email(
    client: httpx.AsyncClient, sink: SmtpSink, tokens: dict[str, Any], to: str, count: int = 1
) -> None:
    """Confirm the code in email number `count` to `to` (a password reset needs a verified
    contact)."""
    code = await emailed_code(sink, to, count)
    response = await client.post(
        "/api/v1/auth/verify/email/confirm", json={"code": code}, headers=tokens["headers"]
    )
    assert response.status_code == 200, response.text


async def verify_mobile(
    client: httpx.AsyncClient, data_dir: Path, tokens: dict[str, Any], to: str, count: int = 1
) -> None:
    code = await texted_code(data_dir, to, count)
    response = await client.post(
        "/api/v1/auth/verify/mobile/confirm", json={"code": code}, headers=tokens["headers"]
    )
    assert response.status_code == 200, response.text


async def emailed_code(sink: SmtpSink, to: str, count: int = 1) -> str:
    """The code in the newest of the first `count` emails sent to `to`."""
    deadline = time.monotonic() + 10
    while True:
        received = [m for m in sink.messages if m["To"] == to]
        if len(received) >= count:
            body = received[count - 1].get_body(("plain",))
            assert body is not None
            match = CODE.search(body.get_content())
            assert match is not None
            return match.group(1)
        if time.monotonic() > deadline:
            pytest.fail(f"no email number {count} to {to}")
        await _pause()


async def texted_code(data_dir: Path, to: str, count: int = 1) -> str:
    deadline = time.monotonic() + 10
    while True:
        texts = sorted((data_dir / "sms").glob("*.txt")) if (data_dir / "sms").exists() else []
        bodies = [t.read_text() for t in texts if f"To: {to}" in t.read_text()]
        if len(bodies) >= count:
            match = CODE.search(bodies[count - 1].split("\n\n", 1)[1])
            assert match is not None
            return match.group(1)
        if time.monotonic() > deadline:
            pytest.fail(f"no text message number {count} to {to}")
        await _pause()


async def _pause() -> None:
    await asyncio.sleep(0.02)
