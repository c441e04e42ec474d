"""Load-benchmark helpers (BENCHMARKING.md): the server pinned to core 0, wrk pinned to core 1,
server CPU per request from /proc, every figure beside its ceiling measured in the same run."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

SERVER_CORE = "0"
LOAD_CORE = "1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Result:
    label: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    requests: int


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def process_tree(pid: int) -> set[int]:
    """A process and all its live descendants (a server and its worker processes)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(_stat(int(entry))[1])
            except OSError:
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return tree


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and all its live descendants (a server's worker processes)."""
    ticks = 0
    for member in process_tree(pid):
        try:
            ticks += sum(int(field) for field in _stat(member)[11:13])
        except OSError:
            continue
    return ticks / CLOCK_TICKS


@contextmanager
def pinned_server(command: Sequence[str], url: str, env: dict[str, str]) -> Iterator[int]:
    process = subprocess.Popen(
        ["taskset", "-c", SERVER_CORE, *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{command[0]} did not come up")
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def processes_cpu_seconds(name: str) -> float:
    """utime + stime of every running process called `name` (a server we did not start)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() != name:
                    continue
            ticks += sum(int(field) for field in _stat(int(entry))[11:13])
        except OSError:
            continue
    return ticks / CLOCK_TICKS


def _ms(value: str) -> float:
    """wrk's latency: 812.00us, 1.20ms, 2.00s, 1.02m."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if found is None:
        raise RuntimeError(f"unexpected wrk latency {value!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _latency(out: str, percentile: int) -> float:
    # Anchored: the "+/- Stdev" column of the thread stats can also end in "50%" or "99%".
    found = re.search(rf"^\s+{percentile}%\s+(\S+)", out, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {percentile}% latency in wrk's output (was --latency given?)")
    return _ms(found.group(1))


def run_wrk(label: str, url: str, pid: int, *, seconds: int = 10, connections: int = 50) -> Result:
    wrk = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", "--latency"]
    subprocess.run([*wrk, "-d3s", url], check=True, capture_output=True)
    before = cpu_seconds(pid)
    out = subprocess.run(
        [*wrk, f"-d{seconds}s", url], check=True, capture_output=True, text=True
    ).stdout
    return parse_wrk(label, out, cpu_seconds(pid) - before)


def parse_wrk(label: str, out: str, server_cpu_seconds: float | None = None) -> Result:
    """A Result from wrk's --latency output; CPU per request when the server's CPU is given."""
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{label}: {non_2xx.group(1)} error responses")
    return Result(
        label=label,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_latency(out, 50),
        p99_ms=_latency(out, 99),
        cpu_us_per_request=(server_cpu_seconds or 0.0) / total * 1e6,
        requests=total,
    )


def print_table(results: Sequence[Result], ceiling: Result) -> None:
    print(f"| {'what':44} | req/s | vs ceiling | p50 ms | p99 ms | CPU us/req |")
    print(f"| {'-' * 44} | ----: | ---------: | -----: | -----: | ---------: |")
    for r in results:
        ratio = r.requests_per_second / ceiling.requests_per_second
        print(
            f"| {r.label:44} | {r.requests_per_second:5.0f} | {ratio:9.0%} | "
            f"{r.p50_ms:6.2f} | {r.p99_ms:6.2f} | {r.cpu_us_per_request:10.0f} |"
        )


def granian_command(target: str, port: int, *, factory: bool) -> list[str]:
    """granian serving `target` as the benchmarks run it: one worker, uvloop, no access log."""
    return [
        os.path.join(os.path.dirname(sys.executable), "granian"),
        "--interface",
        "asgi",
        target,
        *(["--factory"] if factory else []),
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
