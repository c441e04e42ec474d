"""Prometheus metrics; with several server processes they are aggregated through
`PROMETHEUS_MULTIPROC_DIR`, which `storefront serve --workers N` sets up."""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

# Read by prometheus_client when it is imported: set, each process writes its samples to files
# in that directory and /metrics adds up every process's.
MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "storefront_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "storefront_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# Methods outside this set are counted as OTHER: a client cannot grow the label set.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Each (method, route, status)'s children, looked up once: labels() validates and locks.
_request_counters: dict[tuple[str, str, int], Counter] = {}
_request_latencies: dict[tuple[str, str], Histogram] = {}


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency, by route template (never the raw path)."""
    if method not in _KNOWN_METHODS:
        method = "OTHER"
    counter = _request_counters.get((method, route, status))
    if counter is None:
        counter = HTTP_REQUESTS.labels(method, route, str(status))
        _request_counters[method, route, status] = counter
    latency = _request_latencies.get((method, route))
    if latency is None:
        latency = _request_latencies[method, route] = HTTP_LATENCY.labels(method, route)
    counter.inc()
    latency.observe(seconds)


def render_metrics() -> tuple[bytes, str]:
    if MULTIPROC_DIR_VARIABLE in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_this_process_dead() -> None:
    """A stopping server process's live gauges leave the sum (a worker replaced on SIGHUP)."""
    if MULTIPROC_DIR_VARIABLE in os.environ:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


EVENTS_PENDING = Gauge(
    "storefront_events_pending",
    "Outbox events committed but not yet published (or, without a broker, not yet handled).",
    multiprocess_mode="livemax",
)
EVENTS_PUBLISHED = Counter(
    "storefront_events_published_total", "Outbox events confirmed by the broker.", ["event_type"]
)
EVENTS_REPUBLISHED = Counter(
    "storefront_events_republished_total",
    "Published events published again because no consumer had handled them in time.",
    ["event_type"],
)
EVENTS_HANDLED = Counter(
    "storefront_events_handled_total", "Events whose handler succeeded.", ["event_type"]
)
EVENTS_FAILED = Counter(
    "storefront_events_failed_total", "Handler attempts that failed.", ["event_type"]
)
EVENTS_DEAD = Counter(
    "storefront_events_dead_lettered_total",
    "Events given up on after their last attempt.",
    ["event_type"],
)
