"""Outbox throughput, end to end: N notification emails (template "welcome") recorded in the
outbox in committed batches through `Notifier.email`, published to RabbitMQ by the relay that a
real `storefront worker` process runs, consumed by that worker, rendered and sent over SMTP to a
lean counting sink (aiosmtpd in a thread of this process). Run by hand from the repo root, never
in CI:

    .venv/bin/python -m bench.outbox_throughput [--events 10000] [--batch 500]

Other options:
    --count-sql       run the worker as `python -m bench.counted_worker worker` (the same CLI plus
                      a SQLAlchemy listener) and print the SQL it sent per event
    --py-spy FILE     sample the worker with py-spy (`uv pip install py-spy`) into FILE (collapsed
                      stacks) and print where its CPU went; py-spy itself runs on core 1
    --uvloop          run the worker (through bench.counted_worker, so with --count-sql's listener)
                      on a uvloop event loop, to see what switching `storefront worker` would gain
    --smtp-only       measure the SMTP leg alone: a client process pinned like the worker sends N
                      messages to the sink with the worker's sender (one connection per message)
    --vhost ''        use the broker URL's own vhost instead of a private one

Needs PostgreSQL on --database-server (trust auth; a fresh database is created, migrated, and
dropped at the end) and RabbitMQ on --broker-url (default $STOREFRONT_TEST_BROKER_URL, else guest
on 127.0.0.1). The run gets a private vhost made with `rabbitmqctl` and deleted at the end: any
other consumer of storefront.worker on a shared vhost (a test run's worker, pointed at another
database) would take messages and acknowledge them as unknown events. Its queues are purged
before the run, and the run refuses to start if the work queue already has a consumer.

As BENCHMARKING.md asks, the worker runs pinned to core 0 (`taskset -c 0`), this process (the
producer, the outbox watcher and the sink's thread) on core 1; PostgreSQL and RabbitMQ are not
pinned. The worker's other settings come from the environment (STOREFRONT_WORKER_CONCURRENCY,
STOREFRONT_OUTBOX_POLL_SECONDS, ...), its database, broker and SMTP URLs from the bench.

Times count from the first commit: "all published" is when no outbox row is pending any more,
"all handled" when every row is handled (a watcher polls every 50 ms), "end to end" when the sink
has the N-th message. The check compares the Message-IDs that arrived with the outbox's event
ids after a further second for late duplicates: N distinct, none twice, none missing.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aio_pika
from aiosmtpd.controller import Controller
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness import CLOCK_TICKS, LOAD_CORE, SERVER_CORE, cpu_seconds
from storefront.core.database import (
    create_engine,
    create_sessionmaker,
    execute_outside_transaction,
    unit_of_work,
)
from storefront.core.events.broker import WORK_QUEUE, purge_worker_queues
from storefront.core.migrations import migrate
from storefront.core.security.sealing import Sealer
from storefront.notifications.email import SmtpEmailSender
from storefront.notifications.service import Notifier
from storefront.notifications.templates import render_email

DEFAULT_DATABASE_SERVER = "postgresql://postgres@127.0.0.1:5432/"
DEFAULT_BROKER_URL = os.environ.get(
    "STOREFRONT_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/"
)
WATCH_SECONDS = 0.05
SETTLE_SECONDS = 1.0
SMTP_CLIENT_CONCURRENCY = 16  # the worker's default prefetch (STOREFRONT_WORKER_CONCURRENCY)
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*<([^>\r\n]*)>", re.IGNORECASE | re.MULTILINE)


# --- the SMTP sink -------------------------------------------------------------------------


def _free_port() -> int:
    # aiosmtpd 1.4 cannot report the port the system picks for port 0, so pick one first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class CountingSink:
    """Accepts every message and keeps only its Message-ID and arrival time, without the MIME
    parsing that tests.smtp_sink.SmtpSink does for each message."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.message_ids: list[bytes] = []
        self.arrivals: list[float] = []  # time.monotonic(): one clock for every process
        self.cpu_at_first = 0.0  # CPU seconds of the sink's thread, at its first message
        self.cpu_at_last = 0.0  # and at its latest
        # server_hostname, else aiosmtpd calls socket.getfqdn() for every connection.
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="sink.bench"
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.arrivals:
            self.cpu_at_first = time.thread_time()
        found = _MESSAGE_ID.search(envelope.content)
        self.message_ids.append(found.group(1) if found else b"")
        self.arrivals.append(time.monotonic())
        self.cpu_at_last = time.thread_time()
        return "250 2.0.0 OK"

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_at_last - self.cpu_at_first

    def __enter__(self) -> "CountingSink":
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


# --- PostgreSQL and RabbitMQ ---------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    """A migrated database of that name (dropped first if a crashed run left it), then dropped."""
    admin = make_url(server_url).set(drivername="postgresql+asyncpg", database="postgres")
    admin_url = admin.render_as_string(hide_password=False)
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(execute_outside_transaction(admin_url, drop))
    asyncio.run(execute_outside_transaction(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        migrate(url)
        yield url
    finally:
        asyncio.run(execute_outside_transaction(admin_url, drop))


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def broker_vhost(base_url: str, vhost: str) -> Iterator[str]:
    """base_url moved to a vhost made for this run and deleted after it ('' keeps base_url)."""
    if not vhost:
        yield base_url
        return
    user = urlsplit(base_url).username or "guest"
    with contextlib.suppress(subprocess.CalledProcessError):
        _rabbitmqctl("delete_vhost", vhost)  # left by a crashed run
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urlsplit(base_url)._replace(path="/" + quote(vhost, safe="")).geturl()
    finally:
        _rabbitmqctl("delete_vhost", vhost)


async def _purge_and_check(broker_url: str) -> None:
    """Empty the worker's queues; refuse to run if something already consumes them."""
    if consumers := await purge_worker_queues(broker_url):
        raise SystemExit(
            f"{WORK_QUEUE} already has {consumers} consumer(s) on this vhost; they would "
            "take the benchmark's messages. Use a private --vhost."
        )


class WorkerDied(RuntimeError):
    pass


def _log_tail(log_path: Path) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])


def _check_alive(worker: subprocess.Popen[bytes], log_path: Path) -> None:
    if worker.poll() is not None:
        tail = _log_tail(log_path)
        raise WorkerDied(f"the worker exited with {worker.returncode}; its last lines:\n{tail}")


async def _wait_for_consumer(
    broker_url: str, worker: subprocess.Popen[bytes], log_path: Path
) -> None:
    connection = await aio_pika.connect(broker_url)
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            _check_alive(worker, log_path)
            queue = await channel.declare_queue(WORK_QUEUE, durable=True, passive=True)
            if queue.declaration_result.consumer_count:
                return
            await asyncio.sleep(0.1)
    raise WorkerDied(f"the worker did not consume within 120 s; its log:\n{_log_tail(log_path)}")


# --- the pipeline run ----------------------------------------------------------------------


@dataclass
class Marks:
    """time.monotonic() at each milestone."""

    start: float = 0.0
    first_commit: float = 0.0
    recorded: float = 0.0
    all_published: float | None = None
    all_handled: float | None = None


@dataclass
class Outcome:
    events: int
    batch: int
    marks: Marks
    arrivals: list[float]
    message_ids: list[bytes]
    event_ids: set[str]
    statuses: dict[str, int]
    worker_cpu: float
    sink_cpu: float
    others_cpu: dict[str, float]  # PostgreSQL, RabbitMQ and this process, over the same span
    worker_log: list[str] = field(default_factory=list)
    sql_counts: dict[str, int] | None = None


async def _record(engine: AsyncEngine, events: int, batch: int, marks: Marks) -> None:
    """The producer: `batch` emails per committed transaction, as a service records them."""
    sessions = create_sessionmaker(engine)
    notifier = Notifier(Sealer(secrets.token_urlsafe(32)))
    marks.start = time.monotonic()
    for first in range(0, events, batch):
        async with unit_of_work(sessions) as session:
            for n in range(first, min(first + batch, events)):
                notifier.email(
                    session,
                    to=f"user{n}@example.com",
                    template="welcome",
                    context={"username": f"user{n}"},
                )
        if not marks.first_commit:
            marks.first_commit = time.monotonic()
    marks.recorded = time.monotonic()


async def _watch_outbox(engine: AsyncEngine, events: int, marks: Marks) -> None:
    """Note when no row is pending any more, and when every row is handled."""
    query = text(
        "SELECT count(*), count(*) FILTER (WHERE status = 'pending'), "
        "count(*) FILTER (WHERE status = 'handled') FROM outbox_events"
    )
    async with engine.connect() as connection:
        while marks.all_handled is None:
            total, pending, handled = (await connection.execute(query)).one()
            await connection.rollback()
            now = time.monotonic()
            if marks.all_published is None and total == events and pending == 0:
                marks.all_published = now
            if handled == events:
                marks.all_handled = now
            await asyncio.sleep(WATCH_SECONDS)


async def _outbox_state(engine: AsyncEngine) -> tuple[dict[str, int], set[str]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT event_id, status FROM outbox_events"))).all()
    return dict(Counter(status for _, status in rows)), {str(event_id) for event_id, _ in rows}


def cpu_seconds_by_name(names: set[str]) -> float:
    """utime + stime of every process whose command name is in `names` (a service that the bench
    did not start: PostgreSQL, RabbitMQ), plus that of its children already reaped."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() not in names:
                continue
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def _others_cpu() -> dict[str, float]:
    return {
        "PostgreSQL, every process of the server": cpu_seconds_by_name({"postgres"}),
        "RabbitMQ (beam.smp)": cpu_seconds_by_name({"beam.smp"}),
        "this process: producer, watcher, sink": time.process_time(),
    }


def _worker_command(count_sql: bool) -> list[str]:
    """The real `storefront worker`, or the same CLI through bench.counted_worker."""
    if count_sql:
        command = [sys.executable, "-m", "bench.counted_worker", "worker"]
    else:
        command = [str(Path(sys.executable).parent / "storefront"), "worker"]
    return ["taskset", "-c", SERVER_CORE, *command, "--metrics-port", "0"]


def _start_worker(
    command: list[str], env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _find_py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("--py-spy needs py-spy: `uv pip install py-spy` (or `uv tool install`)")
    return found


def _start_py_spy(pid: int, output: Path, log_path: Path) -> subprocess.Popen[bytes]:
    command = [_find_py_spy(), "record", "--pid", str(pid), "--format", "raw", "--nolineno"]
    command += ["--rate", "200", "--nonblocking", "--output", str(output)]
    with log_path.open("wb") as log:
        return subprocess.Popen(
            ["taskset", "-c", LOAD_CORE, *command], stdout=log, stderr=subprocess.STDOUT
        )


def _stop_py_spy(profiler: subprocess.Popen[bytes], output: Path, log_path: Path) -> None:
    _stop(profiler, signal.SIGINT)
    if not output.exists():
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-10:])
        print(f"py-spy wrote no profile (exit {profiler.returncode}):\n{tail}", file=sys.stderr)


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def run_pipeline(
    database_url: str,
    broker_url: str,
    *,
    events: int,
    batch: int,
    give_up_after: float,
    count_sql: bool,
    py_spy: Path | None,
    uvloop: bool = False,
) -> Outcome:
    await _purge_and_check(broker_url)
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp, CountingSink() as sink:
        workdir = Path(tmp)
        sql_counts_file = workdir / "sql_counts.json"
        env = os.environ | {
            "STOREFRONT_DATABASE_URL": database_url,
            "STOREFRONT_BROKER_URL": broker_url,
            "STOREFRONT_SMTP_URL": sink.url,
            "STOREFRONT_ENV": "test",
            "STOREFRONT_LOG_LEVEL": "WARNING",
            # Else the worker generates a key and keeps it in ./.data.
            "STOREFRONT_SECRET_KEY": secrets.token_urlsafe(32),
            "STOREFRONT_DATA_DIR": str(workdir),
            "BENCH_SQL_COUNTS": str(sql_counts_file),
            "BENCH_UVLOOP": "1" if uvloop else "0",
        }
        log_path = workdir / "worker.log"
        worker = _start_worker(_worker_command(count_sql or uvloop), env, log_path)
        profiler = None
        engine = create_engine(database_url, pool_size=2)
        marks = Marks()
        try:
            await _wait_for_consumer(broker_url, worker, log_path)
            await asyncio.sleep(1.0)  # start-up work (the first periodic job) out of the way
            if py_spy is not None:
                profiler = _start_py_spy(worker.pid, py_spy, workdir / "py-spy.log")
            cpu_before = cpu_seconds(worker.pid)
            others_before = _others_cpu()
            watcher = asyncio.create_task(_watch_outbox(engine, events, marks))
            await _record(engine, events, batch, marks)
            deadline = marks.first_commit + give_up_after
            while len(sink.arrivals) < events or marks.all_handled is None:
                if time.monotonic() > deadline:
                    print(f"gave up after {give_up_after:.0f} s", file=sys.stderr)
                    break
                _check_alive(worker, log_path)
                await asyncio.sleep(0.01)
            worker_cpu = cpu_seconds(worker.pid) - cpu_before
            others_cpu = {
                name: after - others_before[name] for name, after in _others_cpu().items()
            }
            if profiler is not None and py_spy is not None:
                _stop_py_spy(profiler, py_spy, workdir / "py-spy.log")
            await asyncio.sleep(SETTLE_SECONDS)  # late duplicates would arrive now
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            statuses, event_ids = await _outbox_state(engine)
        finally:
            if profiler is not None:
                _stop(profiler, signal.SIGINT)
            _stop(worker)
            await engine.dispose()
        sql_counts = None
        if count_sql and sql_counts_file.exists():
            sql_counts = json.loads(sql_counts_file.read_text())
        return Outcome(
            events=events,
            batch=batch,
            marks=marks,
            arrivals=list(sink.arrivals),
            message_ids=list(sink.message_ids),
            event_ids=event_ids,
            statuses=statuses,
            worker_cpu=worker_cpu,
            sink_cpu=sink.cpu_seconds,
            others_cpu=others_cpu,
            worker_log=log_path.read_text(errors="replace").splitlines(),
            sql_counts=sql_counts,
        )


# --- the SMTP leg alone --------------------------------------------------------------------


async def smtp_client(url: str, messages: int, concurrency: int) -> None:
    """The worker's sender, alone: `messages` sends, `concurrency` at a time; prints its CPU."""
    sender = SmtpEmailSender(url, "Storefront <no-reply@storefront.localhost>")
    content = render_email("welcome", {"username": "user"})
    limit = asyncio.Semaphore(concurrency)

    async def send(n: int) -> None:
        async with limit:
            await sender.send(f"user{n}@example.com", content, message_id=str(uuid.uuid4()))

    await asyncio.gather(*(send(n) for n in range(messages)))
    print(json.dumps({"cpu_seconds": time.process_time()}))


def run_smtp_only(messages: int) -> None:
    with CountingSink() as sink:
        command = [sys.executable, "-m", "bench.outbox_throughput", "--smtp-client", sink.url]
        command += ["--events", str(messages)]
        client = subprocess.run(
            ["taskset", "-c", SERVER_CORE, *command], check=True, capture_output=True, text=True
        )
        time.sleep(SETTLE_SECONDS)
        arrivals, ids = list(sink.arrivals), list(sink.message_ids)
    client_cpu = json.loads(client.stdout)["cpu_seconds"]
    span = arrivals[-1] - arrivals[0]
    rate = (len(arrivals) - 1) / span if span > 0 else 0.0
    print(f"SMTP leg alone: {messages} messages, {SMTP_CLIENT_CONCURRENCY} at a time, client")
    print("(storefront's SmtpEmailSender, one connection per message) on core 0, sink on core 1")
    print()
    print("| figure | value |")
    print("| --- | ---: |")
    print(f"| messages received / distinct Message-IDs | {len(ids)} / {len(set(ids))} |")
    print(f"| messages/s, first to last | {rate:.0f} |")
    print(f"| client CPU per message (incl. start-up) | {client_cpu / messages * 1e3:.2f} ms |")
    print(f"| sink CPU per message | {sink.cpu_seconds / len(arrivals) * 1e3:.2f} ms |")
    print(f"| sink busy | {sink.cpu_seconds / span:.0%} of its core |")


# --- reporting -----------------------------------------------------------------------------


def _row(label: str, *values: str) -> None:
    print(f"| {label:48} | " + " | ".join(f"{value:>8}" for value in values) + " |")


def _header(label: str, *columns: str) -> None:
    _row(label, *columns)
    _row("-" * 48, *("-------:" for _ in columns))


def _since(mark: float | None, origin: float) -> float | None:
    return None if mark is None else mark - origin


def _print_stages(outcome: Outcome) -> None:
    n, marks, arrivals = outcome.events, outcome.marks, outcome.arrivals
    t0 = marks.first_commit
    commits = -(-n // outcome.batch)
    rows = [
        (f"record {n} events ({commits} commits of {outcome.batch})", marks.recorded - marks.start),
        ("all published (no row pending)", _since(marks.all_published, t0)),
        ("all handled (every row handled)", _since(marks.all_handled, t0)),
        (
            f"end to end: {n}th email at the sink",
            _since(arrivals[n - 1], t0) if len(arrivals) >= n else None,
        ),
    ]
    _header("stage (times from the first commit)", "seconds", "events/s")
    for label, seconds in rows:
        rate = f"{n / seconds:.0f}" if seconds else "-"
        _row(label, "never" if seconds is None else f"{seconds:.2f}", rate)
    if arrivals:
        _row("first email at the sink", f"{arrivals[0] - t0:.2f}", "-")
        lo, hi = len(arrivals) // 10, len(arrivals) * 9 // 10
        span = arrivals[hi] - arrivals[lo]
        _row(
            "emails between the 10% and 90% marks",
            f"{span:.2f}",
            f"{(hi - lo) / span:.0f}" if span else "-",
        )


def _print_costs(outcome: Outcome) -> None:
    n, marks = outcome.events, outcome.marks
    span = (marks.all_handled or marks.recorded) - marks.first_commit
    received = max(len(outcome.arrivals), 1)
    _header("cost", "value")
    _row("worker CPU, core 0 (s)", f"{outcome.worker_cpu:.2f}")
    _row("worker CPU per event (ms)", f"{outcome.worker_cpu / n * 1e3:.2f}")
    _row("worker busy (CPU / time to all handled)", f"{outcome.worker_cpu / span:.0%}")
    _row("sink thread CPU per message (us)", f"{outcome.sink_cpu / received * 1e6:.0f}")
    _row("sink busy (CPU / time to all handled)", f"{outcome.sink_cpu / span:.0%}")
    for name, seconds in outcome.others_cpu.items():
        _row(f"{name} (s)", f"{seconds:.2f}")
    everything = outcome.worker_cpu + sum(outcome.others_cpu.values())
    _row("all of the above per event (ms)", f"{everything / n * 1e3:.2f}")
    _row("all of the above / (2 cores x time)", f"{everything / (2 * span):.0%}")


def _print_check(outcome: Outcome) -> bool:
    n = outcome.events
    ids = [message_id.decode().removesuffix("@storefront") for message_id in outcome.message_ids]
    distinct = set(ids)
    missing = len(outcome.event_ids - distinct)
    strangers = len(distinct - outcome.event_ids)
    ok = len(ids) == n and len(distinct) == n and len(outcome.event_ids) == n and not missing
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(outcome.statuses.items()))
    _header("check", "value")
    _row("emails received", str(len(ids)))
    _row("distinct Message-IDs", str(len(distinct)))
    _row(
        "duplicates / missing / not from this outbox",
        f"{len(ids) - len(distinct)} / {missing} / {strangers}",
    )
    _row("outbox rows", statuses)
    _row("result", "OK" if ok and not strangers else "FAILED")
    return ok and not strangers


def print_outcome(outcome: Outcome) -> bool:
    """Print the tables; returns whether exactly the outbox's events arrived, each once."""
    _print_stages(outcome)
    print()
    _print_costs(outcome)
    print()
    ok = _print_check(outcome)
    if outcome.sql_counts:
        _print_sql(outcome.sql_counts, outcome.events)
    if outcome.worker_log:
        print()
        print(f"worker log ({len(outcome.worker_log)} lines at WARNING or above), first lines:")
        for line in outcome.worker_log[:5]:
            print("   ", line[:300])
    return ok


def _print_sql(counts: dict[str, int], events: int) -> None:
    print()
    _header("worker SQL over its whole life", "total", "per event")
    for shape, count in sorted(counts.items(), key=lambda item: -item[1]):
        _row(shape, str(count), f"{count / events:.3f}")
    statements = sum(count for shape, count in counts.items() if not shape.startswith("("))
    _row(
        "statements (without begin/commit/rollback)", str(statements), f"{statements / events:.3f}"
    )


_PACKAGE_GROUPS = {
    "email": "stdlib email: build and flatten the MIME message",
    "sqlalchemy": "SQLAlchemy and asyncpg",
    "asyncpg": "SQLAlchemy and asyncpg",
    "greenlet": "SQLAlchemy and asyncpg",
    "asyncio": "asyncio loop, selectors, sockets",
    "selectors.py": "asyncio loop, selectors, sockets",
    "socket.py": "asyncio loop, selectors, sockets",
    "aiosmtplib": "aiosmtplib",
    "aiormq": "aio-pika, aiormq, pamqp",
    "pamqp": "aio-pika, aiormq, pamqp",
    "aio_pika": "aio-pika, aiormq, pamqp",
    "jinja2": "jinja2",
    "concurrent": "thread pool (aiosmtplib getfqdn)",
    "threading.py": "thread pool (aiosmtplib getfqdn)",
    "storefront": "storefront",
}
_MARKERS = {
    "relay: publish_pending": "publish_pending (storefront/core/events/relay.py)",
    "consumer: QueueConsumer.handle": "QueueConsumer.handle (storefront/core/events/worker.py)",
    "EventProcessor.process": "EventProcessor.process (storefront/core/events/processing.py)",
    "  NotificationHandlers.send_email": "NotificationHandlers.send_email (storefront/",
    "    render_email": "render_email (storefront/notifications/templates.py)",
    "    SmtpEmailSender.send": "SmtpEmailSender.send (storefront/notifications/email.py)",
    "      _build_message": "_build_message (storefront/notifications/email.py)",
    "      aiosmtplib.send": "send (aiosmtplib/api.py)",
    "outbox count: _count_pending": "_count_pending (storefront/core/events/polling.py)",
    "socket.getfqdn (in a thread)": "getfqdn (socket.py)",
}


def summarize_profile(path: Path) -> None:
    """Where the worker's samples went: self time by package of the innermost frame, and the
    samples under a few functions of the pipeline (lower bounds: code run in SQLAlchemy's
    greenlets shows up without its callers)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        file = frames[-1][frames[-1].rfind("(") + 1 : frames[-1].rfind(")")]
        package = file.split("/", 1)[0]
        own[_PACKAGE_GROUPS.get(package, f"other: {package}")] += count
        for label, marker in _MARKERS.items():
            if any(frame.startswith(marker) for frame in frames):
                under[label] += count
    if not total:
        print("py-spy recorded no samples")
        return
    print()
    print(f"py-spy: {total} samples of the worker ({path})")
    _header("self time, by package of the innermost frame", "share")
    for group, count in own.most_common(12):
        _row(group, f"{count / total:.1%}")
    print()
    _header("samples under (lower bounds)", "share")
    for label in _MARKERS:
        _row(label, f"{under[label] / total:.1%}")


# --- command line --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="events per committed transaction")
    parser.add_argument("--database-server", default=DEFAULT_DATABASE_SERVER)
    parser.add_argument("--database", default="storefront_bench_outbox")
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL)
    parser.add_argument("--vhost", default="storefront_bench_outbox")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds, from first commit")
    parser.add_argument("--count-sql", action="store_true")
    parser.add_argument("--py-spy", type=Path, metavar="FILE")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--smtp-only", action="store_true")
    parser.add_argument("--smtp-client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smtp_client:
        asyncio.run(smtp_client(args.smtp_client, args.events, SMTP_CLIENT_CONCURRENCY))
        return
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    if args.smtp_only:
        run_smtp_only(args.events)
        return
    if args.py_spy is not None:
        _find_py_spy()  # before the run, not after it
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    concurrency = os.environ.get("STOREFRONT_WORKER_CONCURRENCY", "16")
    poll = os.environ.get("STOREFRONT_OUTBOX_POLL_SECONDS", "1.0")
    loop = "uvloop" if args.uvloop else "asyncio"
    print(
        f"outbox -> RabbitMQ -> worker -> SMTP: {args.events} emails; worker concurrency "
        f"{concurrency}, outbox poll {poll} s, {loop} loop; load average before {load}"
    )
    print()
    try:
        with (
            fresh_database(args.database_server, args.database) as database_url,
            broker_vhost(args.broker_url, args.vhost) as broker_url,
        ):
            outcome = asyncio.run(
                run_pipeline(
                    database_url,
                    broker_url,
                    events=args.events,
                    batch=args.batch,
                    give_up_after=args.timeout,
                    count_sql=args.count_sql,
                    py_spy=args.py_spy,
                    uvloop=args.uvloop,
                )
            )
    except WorkerDied as exc:
        raise SystemExit(str(exc)) from None
    ok = print_outcome(outcome)
    if args.py_spy is not None and args.py_spy.exists():
        summarize_profile(args.py_spy)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
