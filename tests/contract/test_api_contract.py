"""Fuzzing the OpenAPI document against the running API: `schemathesis run` with every check
(schemathesis.toml), as a signed-in customer. Whatever a client sends, the server never fails,
every answer is one the document declares, and what the document calls valid is accepted and
what it calls invalid is refused (but for the rules it cannot state, listed per operation in
schemathesis.toml)."""

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import environment, serving

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
PASSWORD = "Fuzz-Pa55word!"


@pytest.fixture(scope="module")
def live_api(database_url: str) -> Iterator[str]:
    env = environment(
        STOREFRONT_DATABASE_URL=database_url,
        STOREFRONT_ENV="test",
        STOREFRONT_RATE_LIMITS="false",
        STOREFRONT_LOG_LEVEL="ERROR",
    )
    with serving(env, keep_log=False) as (_, base_url):
        yield base_url


@pytest.fixture
def customer(live_api: str) -> str:
    """A registered customer's username (the password is PASSWORD)."""
    username = f"fuzz_{secrets.token_hex(4)}"
    registered = httpx.post(
        f"{live_api}/api/v1/auth/register",
        json={
            "username": username,
            "email": f"{username}@example.com",
            "mobile": f"98{secrets.randbelow(10**8):08d}",
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert registered.status_code == 201, registered.text
    return username


def test_fuzzing_with_every_check_finds_nothing(live_api: str, customer: str) -> None:
    run = subprocess.run(  # noqa: S603
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(REPO_ROOT / "schemathesis.toml"),
            "--no-color",
            "run",
            f"{live_api}/api/v1/openapi.json",
            # One worker: Hypothesis's lambda descriptions can fail in concurrent threads.
            "--workers",
            "1",
        ],
        cwd=REPO_ROOT,  # where the hooks module (tests.contract.hooks) is imported from
        env=environment(STOREFRONT_FUZZ_USERNAME=customer, STOREFRONT_FUZZ_PASSWORD=PASSWORD),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
