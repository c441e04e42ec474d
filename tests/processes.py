"""The `storefront` command run as an operator would, for tests: real processes and signals.

Each command starts in a process group of its own (its server's workers join it), so a test
ends it and everything it started as one, and the run can check that none is left."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from tests.ports import free_port

STARTUP_TIMEOUT = 90.0
# As long as serve and worker give work in hand after SIGTERM, then SIGKILL.
GRACE_SECONDS = 30.0
COMMAND_TIMEOUT = 60.0

_started_groups: set[int] = set()


def environment(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    return env | overrides


def storefront_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "storefront", *args]


def start(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    stdout: int = subprocess.DEVNULL,
    stderr: int = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """`storefront <args>` in a new session, so its process group holds it and its children."""
    process = subprocess.Popen(  # noqa: S603
        storefront_command(*args),
        env=dict(env),
        stdout=stdout,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
    _started_groups.add(process.pid)
    return process


def end(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the process's whole group; SIGKILL to whatever is left after the grace period."""
    deadline = time.monotonic() + GRACE_SECONDS
    _signal_group(process.pid, signal.SIGTERM)
    if process.poll() is None:
        with suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=GRACE_SECONDS)  # drains its pipes while it stops
    while _members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # workers orphaned by their server, which nothing here can wait for
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def left_behind() -> list[str]:
    """Processes of the groups the tests started that still run (each then ended)."""
    alive = [(group, pid) for group in sorted(_started_groups) for pid in _members(group)]
    descriptions = [f"{pid} (group {group}): {_command_line(pid)}" for group, pid in alive]
    for group in {group for group, _ in alive}:
        _signal_group(group, signal.SIGKILL)
    return descriptions


def _signal_group(group: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, sig)


def _members(group: int) -> list[int]:
    """The live processes of a process group (zombies, already dead, are not counted)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited meanwhile
        # Fields after the command name, which is in parentheses and may hold spaces.
        state, _parent, process_group = stat.rpartition(")")[2].split()[:3]
        if state != "Z" and int(process_group) == group:
            members.append(int(entry.name))
    return members


def _command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"


@contextmanager
def serving(
    env: Mapping[str, str], *, workers: int = 1, keep_log: bool = True
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`storefront serve` on a free port, healthy; its log is read when it stops (keep_log), so
    only for short runs: a long one would fill the pipe."""
    port = free_port()
    process = start(
        ("serve", "--port", str(port), "--workers", str(workers)),
        env,
        stderr=subprocess.PIPE if keep_log else subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url)
        yield process, base_url
    finally:
        end(process)


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
    """Signal the process alone, as an operator's `kill` does, and wait for it to exit."""
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        end(process)  # never leave a server or worker behind to disturb other tests
        pytest.fail(f"the process did not stop within {GRACE_SECONDS:.0f} s of {sig.name}")
    return process.returncode, stderr


def run_storefront(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """A `storefront` command run to completion, its output captured."""
    process = start(args, env, stdout=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    finally:
        end(process)  # what it left running, or itself when it timed out
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
