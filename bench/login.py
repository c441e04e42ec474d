"""Login under load, and whether password hashing stalls the event loop (BENCHMARKING.md).

The server (`storefront serve`, one process) is pinned to core 0; wrk to core 1. For 10 s,
20 connections log in (argon2id verify + token issue) while 5 more read GET /api/v1/categories;
the categories p99 is compared with its p99 on an idle server. Rate limits are off for the run
(STOREFRONT_RATE_LIMITS=false), or they would answer most logins with 429.

    .venv/bin/python -m bench.login
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import LOAD_CORE, cpu_seconds, parse_wrk, pinned_server
from storefront.auth.passwords import Passwords
from storefront.core.database import execute_outside_transaction
from storefront.core.migrations import migrate

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
DATABASE = "storefront_bench_login"
PORT = 8091
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "Bench#Passw0rd"  # noqa: S105 (the benchmark account)
SECONDS = 10

LOGIN_BODY = json.dumps({"username_or_email": "bench_user", "password": PASSWORD})
LOGIN_SCRIPT = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{LOGIN_BODY}'
"""


async def _hash_times(samples: int = 20) -> list[float]:
    passwords = Passwords()
    await passwords.hash(PASSWORD)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await passwords.hash(PASSWORD)
        times.append(time.perf_counter() - started)
    return times


def _wrk(url: str, connections: int, script: str | None = None) -> subprocess.Popen[str]:
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s"]
    command += ["--latency", "-s", script] if script else ["--latency"]
    return subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True)


def main() -> None:
    asyncio.run(
        execute_outside_transaction(
            f"{SERVER}/postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"
        )
    )
    asyncio.run(execute_outside_transaction(f"{SERVER}/postgres", f"CREATE DATABASE {DATABASE}"))
    url = f"{SERVER}/{DATABASE}"
    migrate(url)
    hashes = asyncio.run(_hash_times())
    env = os.environ | {
        "STOREFRONT_DATABASE_URL": url,
        "STOREFRONT_ENV": "test",
        "STOREFRONT_RATE_LIMITS": "false",
        "STOREFRONT_LOG_LEVEL": "WARNING",
        "STOREFRONT_DATA_DIR": tempfile.mkdtemp(prefix="bench-login-"),
    }
    subprocess.run(
        [sys.executable, "-m", "storefront", "seed-demo"], env=env, check=True, capture_output=True
    )
    command = [sys.executable, "-m", "storefront", "serve", "--port", str(PORT)]
    with pinned_server(command, f"{BASE}/health", env) as pid, tempfile.TemporaryDirectory() as tmp:
        register = {
            "username": "bench_user",
            "email": "bench@example.com",
            "mobile": "+14155552671",
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        }
        if httpx.post(f"{BASE}/api/v1/auth/register", json=register).status_code != 201:
            raise RuntimeError("could not register the benchmark account")
        script = Path(tmp) / "login.lua"
        script.write_text(LOGIN_SCRIPT)
        idle = _wrk(f"{BASE}/api/v1/categories", 5).communicate()[0]
        before = cpu_seconds(pid)
        logins = _wrk(f"{BASE}/api/v1/auth/login", 20, str(script))
        reads = _wrk(f"{BASE}/api/v1/categories", 5)
        login_out, read_out = logins.communicate()[0], reads.communicate()[0]
        cpu = cpu_seconds(pid) - before
    print(
        f"argon2id m=19456 KiB t=2 p=1: median {statistics.median(hashes) * 1000:.1f} ms "
        f"per hash (min {min(hashes) * 1000:.1f}, max {max(hashes) * 1000:.1f}; "
        f"{len(hashes)} hashes, one at a time)"
    )
    print(f"| {'what':50} | req/s | p50 ms | p99 ms | server CPU us/req |")
    for result in (
        parse_wrk("GET /api/v1/categories, idle server (5 conns)", idle),
        parse_wrk("POST /api/v1/auth/login (20 conns)", login_out, cpu),
        parse_wrk("GET /api/v1/categories during logins (5 conns)", read_out),
    ):
        print(
            f"| {result.label:50} | {result.requests_per_second:5.0f} | {result.p50_ms:6.2f} | "
            f"{result.p99_ms:6.2f} | {result.cpu_us_per_request or 0:17.0f} |"
        )


if __name__ == "__main__":
    main()
