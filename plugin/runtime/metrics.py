"""Every Prometheus metric of the app, defined once here (prometheus-client), and how `/metrics` collects them.

Metrics are process-wide, as Prometheus counts them: every app in a process adds to the same figures. In one
process they live in `REGISTRY`. Under gunicorn each worker is a process of its own, so `xero-panel serve` puts
them in prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, see `use_multiprocess_dir`): each
worker writes its values to memory-mapped files in that folder and a scrape adds up the files of every worker
(`exposition`), whichever worker answers it.

Every metric has labels, so no value exists until something is counted: a value made before the multiprocess
folder was chosen (at import, in gunicorn's master) would stay in that process's memory.

Recording never raises into the caller: a metric is a side note to a request, never a reason for it to fail.
"""

from __future__ import annotations

import logging
import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The classic text format generate_latest writes (every name here is a legacy one, so it is exactly 0.0.4),
# which every Prometheus version reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "xero_panel_"

REGISTRY = CollectorRegistry(auto_describe=True)

XERO_CALLS = Counter(
    PREFIX + "xero_calls", "HTTP requests sent to Xero's Accounting API (each retry counts), by operation and outcome.",
    ["operation", "outcome"], registry=REGISTRY)
XERO_CALL_SECONDS = Histogram(
    PREFIX + "xero_call_seconds", "How long one HTTP request to Xero's Accounting API took, by operation.",
    ["operation"], registry=REGISTRY, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
BUDGET_REMAINING = Gauge(
    PREFIX + "budget_remaining", "Xero calls an organisation has left in the window (minute or day), as last seen "
    "in Xero's X-MinLimit-Remaining / X-DayLimit-Remaining headers, or 0 when our own budget refused a call.",
    ["tenant", "window"], registry=REGISTRY, multiprocess_mode="mostrecent")
XERO_IN_FLIGHT = Gauge(
    PREFIX + "xero_in_flight", "Xero calls holding one of an organisation's in-flight slots now (live workers only).",
    ["tenant"], registry=REGISTRY, multiprocess_mode="livesum")
BUDGET_WAITS = Counter(
    PREFIX + "budget_waits", "Xero calls that waited for one of an organisation's 5 in-flight slots.",
    ["outcome"], registry=REGISTRY)
BUDGET_WAIT_SECONDS = Counter(
    PREFIX + "budget_wait_seconds", "Seconds Xero calls spent waiting for an in-flight slot.",
    ["outcome"], registry=REGISTRY)
BUDGET_REFUSALS = Counter(
    PREFIX + "budget_refusals", "Xero calls our rate budget refused without calling Xero, by the limit (problem).",
    ["problem"], registry=REGISTRY)
CACHE_LOOKUPS = Counter(
    PREFIX + "cache_lookups", "Invoice-cache lookups of panel views: hit (answered from the cache) or miss.",
    ["result"], registry=REGISTRY)
RENDER_SECONDS = Histogram(
    PREFIX + "render_seconds", "Time to answer a panel request (data and HTML), by view.",
    ["view"], registry=REGISTRY,
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBHOOK_DELIVERIES = Counter(
    PREFIX + "webhook_deliveries", "POSTs to /webhooks/xero by result (applied, bad_signature, bad_payload, "
    "too_large).", ["result"], registry=REGISTRY)
WEBHOOK_EVENTS = Counter(
    PREFIX + "webhook_events", "Xero webhook events applied, by category (INVOICE, CONTACT) and type.",
    ["category", "type"], registry=REGISTRY)
REFUSED_VIEWS = Counter(
    PREFIX + "refused_views", "Panel views that told the rep Xero's allowance is spent (our budget or Xero's 429), "
    "by the limit (problem).", ["problem"], registry=REGISTRY)


# --- recording: small functions the layers above call ---------------------------------------------------------


def xero_call(operation: str, outcome: str, seconds: float) -> None:
    """The XeroClient's `on_call` hook (wired in plugin.services)."""
    _safely(lambda: (XERO_CALLS.labels(operation, outcome).inc(),
                     XERO_CALL_SECONDS.labels(operation).observe(max(0.0, seconds))))


def budget_remaining(tenant_id: str, window: str, remaining: int) -> None:
    _safely(lambda: BUDGET_REMAINING.labels(tenant_id, window).set(remaining))


def in_flight(tenant_id: str, change: int) -> None:
    _safely(lambda: XERO_IN_FLIGHT.labels(tenant_id).inc(change))


def budget_waited(seconds: float, *, got_slot: bool) -> None:
    outcome = "slot" if got_slot else "refused"
    _safely(lambda: (BUDGET_WAITS.labels(outcome).inc(), BUDGET_WAIT_SECONDS.labels(outcome).inc(seconds)))


def budget_refused(problem: str) -> None:
    _safely(lambda: BUDGET_REFUSALS.labels(problem or "unknown").inc())


def cache_lookup(*, hit: bool) -> None:
    _safely(lambda: CACHE_LOOKUPS.labels("hit" if hit else "miss").inc())


def webhook_delivery(result: str) -> None:
    _safely(lambda: WEBHOOK_DELIVERIES.labels(result).inc())


def webhook_event(category: str, event_type: str) -> None:
    _safely(lambda: WEBHOOK_EVENTS.labels(category or "unknown", event_type or "unknown").inc())


def refused_view(problem: str) -> None:
    _safely(lambda: REFUSED_VIEWS.labels(problem or "unknown").inc())


def render_took(view: str, seconds: float) -> None:
    _safely(lambda: RENDER_SECONDS.labels(view).observe(seconds))


def _safely(record) -> None:  # type: ignore[no-untyped-def]
    try:
        record()
    except Exception:  # a full disk under the multiprocess folder must not fail a rep's request
        log.warning("could not record a metric", exc_info=True)


# --- collecting ------------------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    """The multiprocess folder in use, or None (this process's own values only)."""
    return os.environ.get(MULTIPROC_ENV) or None


def use_multiprocess_dir(path: str) -> None:
    """Record into `path` from now on, in this process and in the processes it forks.

    prometheus-client reads PROMETHEUS_MULTIPROC_DIR once, when it is imported, to choose where values live;
    `xero-panel serve` chooses the folder after that import, so the choice is made again here. Values made
    before this call stay in memory, which is why every metric above has labels (none has a value yet)."""
    os.environ[MULTIPROC_ENV] = path
    values.ValueClass = values.get_value_class()


def worker_exited(pid: int) -> None:
    """Gunicorn's child_exit: forget the live gauges of a worker that is gone (its counters stay counted)."""
    path = multiprocess_dir()
    if path:
        mark_process_dead(pid, path)


def exposition(path: str | None = None) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type: in multiprocess mode (a folder given, or the one in use),
    the figures of every process that wrote to the folder, added up."""
    path = path or multiprocess_dir()
    if path:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=path)
        return generate_latest(registry), CONTENT_TYPE
    return generate_latest(REGISTRY), CONTENT_TYPE
