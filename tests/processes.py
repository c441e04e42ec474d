"""The `storefront` command run as an operator would, for tests: real processes and signals."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx
import pytest

from tests.ports import free_port

STARTUP_TIMEOUT = 90.0


def environment(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    return env | overrides


def storefront_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "storefront", *args]


@contextmanager
def serving(
    env: Mapping[str, str], *, keep_log: bool = True
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`storefront serve` on a free port, healthy; its log is read when it stops (keep_log), so
    only for short runs: a long one would fill the pipe."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        storefront_command("serve", "--port", str(port)),
        env=dict(env),
        stderr=subprocess.PIPE if keep_log else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url)
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_until_healthy(process: subprocess.Popen[str], base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited early ({process.returncode}): {process.communicate()[1]}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("serve did not answer /health in time")


def stop(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()  # never leave a server or worker behind to disturb other tests
        process.communicate()
        pytest.fail(f"the process did not stop within 30 s of {sig.name}")
    return process.returncode, stderr


def run_storefront(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """A `storefront` command run to completion, its output captured."""
    return subprocess.run(  # noqa: S603
        storefront_command(*args),
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
