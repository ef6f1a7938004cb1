"""`xero-panel bench`: figures for the README (not a test; nothing here asserts on time).

Everything runs on this machine against the local emulator: parse speed against xero-python, warm render
times in-process and with the shared Redis (and the per-worker snapshot cache's peak bytes), cold render
times, Xero calls per 100 panel actions, a bounded load run under gunicorn (2 workers,
50 users), freshness with and without webhooks, peak memory per worker, and the speed a rep feels in Chromium
(devkit/bench_browser.py: click to settled result per action; `--no-browser` leaves it out). Prints a table and
writes JSON (default bench-results/bench.json, git-ignored). `--quick` makes every run small.
"""

from __future__ import annotations

import argparse
import http.client as http_client
import json
import logging
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import click
import requests

from devkit.bench_browser import table_rows as browser_rows

BENCH_KEY = "bench-webhook-key"
CONTEXT_SECRET = "bench-context-secret-0123456789abcdef"
ACCOUNT = "bench-account"
SESSION_PATTERN = re.compile(r"hx-headers='([^']*)'")
VIEWS = ("open", "unpaid", "paid", "overdue", "pinned")
# What a view tab sends (templates/panel/_views.html: its hx-vals, and the #filters fields the panel includes): the
# list region with the tabs, filter state and list state out of band (plugin.panel.views PARTS["rows"]).
TAB_CLICK = "/panel/invoices?q=&start=&end=&view={view}&age=&cur=&limit=&part=rows"


# --- the world the benchmark runs in ------------------------------------------------------------


@dataclass
class World:
    """The emulator served on loopback (429s counted) and a panel app connected to its first organisation."""

    emulator_app: Any
    emulator_url: str
    app: Any
    tenant_id: str
    data_dir: Path
    config: dict[str, Any]
    statuses: Counter = field(default_factory=Counter)
    servers: list = field(default_factory=list)

    @property
    def state(self):
        from devkit.emulator import emulator_state

        return emulator_state(self.emulator_app)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_world(data_dir: Path, *, ttl: int = 60, redis_url: str = "") -> World:
    from cryptography.fernet import Fernet

    from devkit.emulator import create_emulator
    from devkit.serving import serve_in_thread

    emulator_app = create_emulator(seed=1)
    statuses: Counter = Counter()
    emulator_app.wsgi_app = _counting(emulator_app.wsgi_app, statuses)
    emulator_server = serve_in_thread(emulator_app)
    from devkit.emulator import emulator_state

    emulator_state(emulator_app).base_url = emulator_server.url
    config = {
        "XERO_MODE": "emulator",
        "DATABASE_URL": f"sqlite:///{data_dir}/panel.sqlite",
        "XERO_EMULATOR_URL": emulator_server.url,
        "CONTEXT_SECRET": CONTEXT_SECRET,
        "SECRET_KEY": secrets.token_urlsafe(24),
        "TOKEN_KEY": Fernet.generate_key().decode(),
        "WEBHOOK_KEY": BENCH_KEY,
        "CACHE_TTL": ttl,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"bench-{secrets.token_hex(4)}:",
    }
    from plugin import create_app

    app = create_app(config)
    tenant_id = _connect(app, emulator_state(emulator_app))
    world = World(emulator_app, emulator_server.url, app, tenant_id, data_dir, config, statuses, [emulator_server])
    return world


def _counting(wsgi_app, statuses: Counter):
    def app(environ, start_response):
        def counting_start(status, headers, exc_info=None):
            statuses[status.split()[0]] += 1
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, counting_start)

    return app


def _connect(app, state) -> str:
    """Leave the account connected to the first organisation, as the admin flow would."""
    from plugin.domain.clock import SystemClock
    from plugin.storage import get_database
    from plugin.xero.parse import parse_token_set

    tenant = state.tenants[0]
    tokens = parse_token_set(state.issue_token_set(), SystemClock().now())
    connections = get_database(app).connections
    connections.store_consent(ACCOUNT, tokens, connected_by_email="demo@example.com")
    connections.choose_tenant(ACCOUNT, tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate(ACCOUNT)
    return tenant["tenant_id"]


def unique_customers(state, tenant_id: str) -> list[dict[str, Any]]:
    """Seeded customers whose email no other customer shares (so the panel matches exactly one)."""
    customers = state.customers(tenant_id)
    emails = Counter(customer["email"].lower() for customer in customers if customer["email"])
    return [customer for customer in customers if customer["email"] and emails[customer["email"].lower()] == 1]


def grow_contact(state, tenant_id: str, contact_id: str, target: int) -> None:
    """Give the contact at least `target` invoices through the emulator's create_invoice control."""
    have = len(state.orgs[tenant_id].invoices_of(contact_id))
    for index in range(max(0, target - have)):
        state.create_invoice(tenant_id, contact_id, amount=f"{100 + index % 900}.00", reference=f"bench {index}")


def context_url(base: str, customer: dict[str, Any], *, user: str = "rep-1") -> str:
    from plugin.domain.clock import SystemClock
    from plugin.embed.context import encode_context

    claims = {"iss": "demo-crm", "aud": "xero-invoice-panel", "account": ACCOUNT,
              "user": {"id": user, "email": f"{user}@example.com", "name": user, "role": "member",
                       "locale": "en-NZ", "tz": "Pacific/Auckland"},
              "record": {"type": "contact", "id": f"c-{customer['contact_id'][:8]}", "name": customer["name"],
                         "email": customer["email"]}}
    return f"{base}/panel?context={encode_context(claims, CONTEXT_SECRET, clock=SystemClock())}"


def session_of(html: str) -> str:
    found = SESSION_PATTERN.search(html)
    if not found:
        raise RuntimeError("the panel page carried no session header")
    return json.loads(unescape(found.group(1)))["X-Panel-Session"]


class Rep:
    """One rep's panel through the Flask test client (server time only, no sockets)."""

    def __init__(self, app, customer: dict[str, Any], user: str = "rep-1") -> None:
        self.client = app.test_client()
        self.customer = customer
        self.user = user
        self.session = ""

    def open(self) -> str:
        response = self.client.get(context_url("", self.customer, user=self.user))
        html = response.get_data(as_text=True)
        self.session = session_of(html)
        return html

    def get(self, path: str, **params) -> str:
        headers = {"X-Panel-Session": self.session, "HX-Request": "true"}
        response = self.client.get(path, query_string=params, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} -> {response.status_code}")
        return response.get_data(as_text=True)

    def post(self, path: str, **form) -> str:
        headers = {"X-Panel-Session": self.session, "HX-Request": "true"}
        return self.client.post(path, data=form, headers=headers).get_data(as_text=True)


# --- the figures ------------------------------------------------------------------------------


def parse_speed(quick: bool) -> dict[str, Any]:
    from devkit.bench_parse import compare_parse

    return compare_parse(1000, repeats=3 if quick else 15)


def snapshot_cache(world: World) -> dict[str, Any]:
    """The per-worker snapshot cache of the app measured in-process (entries, bytes, peak bytes, bound)."""
    from plugin.services import services

    return services(world.app).snapshots.stats()


def warm_render(world: World, quick: bool) -> dict[str, Any]:
    """p50/p95 server time of a warm panel render (view switch) for contacts with 25, 100 and 1000 invoices."""
    customers = unique_customers(world.state, world.tenant_id)
    results = {}
    repeats = 40 if quick else 300
    for size, customer in zip((25, 100, 1000), customers[:3], strict=True):
        grow_contact(world.state, world.tenant_id, customer["contact_id"], size)
        rep = Rep(world.app, customer)
        rep.open()
        timings, cpu = [], []
        for index in range(repeats):
            started, cpu_started = time.perf_counter(), time.thread_time()
            rep.get("/panel/invoices", view=VIEWS[index % 2])  # open and unpaid: the busiest views
            timings.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - cpu_started)  # the request runs on this thread: its CPU, not the queue's
        invoices = len(world.state.orgs[world.tenant_id].invoices_of(customer["contact_id"]))
        results[str(size)] = {"invoices": invoices, **_percentiles(timings),
                              **{f"cpu_{name}": value for name, value in _percentiles(cpu).items()}}
    return results


def cold_render(world: World, quick: bool) -> dict[str, Any]:
    """A first view of a contact nobody has opened, minus the latency the emulator adds to each Xero call."""
    latency = 0.2
    customers = unique_customers(world.state, world.tenant_id)[3:8 if quick else 13]
    world.state.set_latency(latency)
    extra, calls = [], []
    try:
        for customer in customers:
            before = world.state.api_calls()
            started = time.perf_counter()
            Rep(world.app, customer).open()
            elapsed = time.perf_counter() - started
            made = world.state.api_calls() - before
            calls.append(made)
            extra.append(elapsed - made * latency)
    finally:
        world.state.set_latency(0)
    return {"emulator_latency_s": latency, "xero_calls_per_cold_view": statistics.mean(calls),
            **_percentiles(extra)}


def calls_per_actions(world: World) -> dict[str, Any]:
    """Xero calls made by 100 panel actions: 10 reps each open a contact, then switch views, search,
    filter by date, pin and unpin, and show more."""
    customers = unique_customers(world.state, world.tenant_id)[13:23]
    cold = other = 0
    cold_calls = other_calls = 0
    for index, customer in enumerate(customers):
        rep = Rep(world.app, customer, user=f"mix-{index}")
        before = world.state.api_calls()
        rep.open()
        cold += 1
        cold_calls += world.state.api_calls() - before
        first_invoice = world.state.orgs[world.tenant_id].invoices_of(customer["contact_id"])
        pin_id = first_invoice[0].invoice_id if first_invoice else "none"
        before = world.state.api_calls()
        for action in _action_mix(pin_id):
            action(rep)
            other += 1
        other_calls += world.state.api_calls() - before
    return {"actions": cold + other, "xero_calls": cold_calls + other_calls,
            "cold_views": cold, "calls_per_cold_view": cold_calls / max(cold, 1),
            "other_actions": other, "calls_per_other_action": other_calls / max(other, 1)}


def _action_mix(pin_id: str) -> list:
    return [
        lambda rep: rep.get("/panel/invoices", view="unpaid"),
        lambda rep: rep.get("/panel/invoices", view="paid"),
        lambda rep: rep.get("/panel/invoices", view="overdue"),
        lambda rep: rep.get("/panel/invoices", view="open", q="INV-00"),
        lambda rep: rep.get("/panel/invoices", view="open", start="2025-01-01", end="2026-03-01"),
        lambda rep: rep.post(f"/panel/pins/{pin_id}"),
        lambda rep: rep.get("/panel/invoices", view="pinned"),
        lambda rep: rep.get("/panel/invoices", view="open", limit="50"),
        lambda rep: rep.post(f"/panel/pins/{pin_id}"),
    ]


def freshness(world: World, quick: bool, *, poll: float = 3.0) -> dict[str, Any]:
    """Seconds from a payment added in the emulator to an open panel showing it.

    With webhooks: the emulator POSTs to /webhooks/xero and the open panel polls /panel/changed every
    `poll` seconds, re-rendering when told. Without: the rep keeps clicking (a render a second) and sees
    the change once the cached data is past its TTL.
    """
    from devkit.emulator.state import WebhookTarget
    from devkit.serving import serve_in_thread
    from plugin.panel.changes import version_poll_url

    server = serve_in_thread(world.app)
    world.servers.append(server)
    customers = unique_customers(world.state, world.tenant_id)
    results = {}
    # Without webhooks first: once a delivery has named the organisation, its webhooks count as flowing for 15
    # minutes and unchanged data stays current up to an hour (Xero would have said), so the TTL would not show.
    for mode, customer in (("without_webhooks", customers[24]), ("with_webhooks", customers[23])):
        wait_for_budget(world, 6)
        invoice = _open_invoice(world, customer["contact_id"])
        rep = Rep(world.app, customer)
        rep.open()
        before_html = rep.get("/panel/invoices", view="open")
        webhooks_on = mode == "with_webhooks"
        world.state.webhook = WebhookTarget(f"{server.url}/webhooks/xero", BENCH_KEY) if webhooks_on else None
        with world.app.test_request_context():
            poll_url = version_poll_url(world.tenant_id, customer["contact_id"], _fetched_at(world, customer))
        changed_at = time.monotonic()
        world.state.add_payment(invoice.invoice_id, "1.00", reference="bench freshness")
        deadline = changed_at + (20 if mode == "with_webhooks" else float(world.config["CACHE_TTL"]) + 30)
        seen = None
        while time.monotonic() < deadline:
            if mode == "with_webhooks":
                time.sleep(poll)
                if rep.client.get(poll_url).status_code != 200:
                    continue
                html = rep.get("/panel/invoices", view="open", fresh="1")  # what xero-data-changed sets off
            else:
                time.sleep(1.0)
                html = rep.get("/panel/invoices", view="open")
                if "data-refresh-follow-up" in html and "refreshing…" in html:  # expired: the hx-trigger=load follow-up
                    html = rep.get("/panel/invoices", view="open", fresh="1")
            if html != before_html:  # the new balance is on the page
                seen = time.monotonic() - changed_at
                break
        results[mode] = {"seconds": seen, "poll_s": poll if mode == "with_webhooks" else 1.0,
                         "cache_ttl_s": world.config["CACHE_TTL"]}
    world.state.webhook = None
    return results


def _open_invoice(world: World, contact_id: str):
    for invoice in world.state.orgs[world.tenant_id].invoices_of(contact_id):
        if invoice.status == "AUTHORISED" and invoice.amount_due > 1:
            return invoice
    new_id = world.state.create_invoice(world.tenant_id, contact_id, amount="250.00")
    return world.state.find_invoice(new_id)[1]


def _fetched_at(world: World, customer: dict[str, Any]):
    from plugin.services import services

    return services(world.app).snapshots.get(world.tenant_id, customer["contact_id"]).fetched_at


# --- the load run -------------------------------------------------------------------------------


def load_run(world: World, *, duration: float, users: int, workers: int, threads: int = 4) -> dict[str, Any]:
    """Warm renders under gunicorn on loopback: `users` reps each on their own contact, clicking as fast as
    the server answers, for `duration` seconds. Shared Redis cache when REDIS_URL is reachable."""
    port = _free_port()
    # Warm renders are what this measures: entries stay fresh for the run (the shared cache already holds the
    # contacts opened above; without Redis each worker fetches its own, so fewer contacts keep within budget).
    config = {**world.config, "CACHE_TTL": 3600}
    env = {**os.environ, **{f"XERO_PANEL_{key}": str(value) for key, value in config.items()}}
    command = [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--threads", str(threads)]
    gunicorn = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        worker_pids = _children(gunicorn.pid, workers)
        customers = unique_customers(world.state, world.tenant_id)[: 20 if world.config["REDIS_URL"] else 10]
        wait_for_budget(world, 2 * len(customers) * (1 if world.config["REDIS_URL"] else workers))
        sessions = _open_sessions(base, customers, users)
        before_429 = world.statuses["429"]
        calls_before = world.state.api_calls()
        server_pids = [gunicorn.pid, *worker_pids]
        server_cpu, client_cpu, started = _cpu_seconds(server_pids), _own_cpu_seconds(), time.monotonic()
        machine_before = _machine_ticks()
        timings, errors, busy = _hammer(base, sessions, duration)
        elapsed = time.monotonic() - started
        stolen = _stolen_share(machine_before, _machine_ticks())
        server_cpu = _cpu_seconds(server_pids) - server_cpu
        client_cpu = _own_cpu_seconds() - client_cpu
        memory = {str(pid): _peak_rss_mb(pid) for pid in worker_pids}
        return {
            "workers": workers, "users": users, "duration_s": duration, "requests": len(timings),
            "renders_per_s": len(timings) / duration, **_percentiles(timings), "errors": errors,
            # CPU actually spent per render, and the cores each side got: on a shared machine the throughput
            # above is what was left over, so these say what the server itself costs.
            "server_cpu_ms_per_render": round(1000 * server_cpu / max(len(timings), 1), 3),
            "server_cores_used": round(server_cpu / elapsed, 2), "client_cores_used": round(client_cpu / elapsed, 2),
            "load_average": [round(value, 2) for value in os.getloadavg()],
            # On a virtual machine the host may run others on our cores: what share of the time it took ("steal").
            "steal_share": stolen,
            "busy_notices": busy, "emulator_429s": world.statuses["429"] - before_429,
            "xero_calls_during_run": world.state.api_calls() - calls_before,
            "shared_cache": bool(world.config["REDIS_URL"]), "peak_rss_mb_per_worker": memory,
        }
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)


def _open_sessions(base: str, customers: list[dict[str, Any]], users: int) -> list[str]:
    sessions = []
    with requests.Session() as http:
        for index in range(users):
            customer = customers[index % len(customers)]
            response = http.get(context_url(base, customer, user=f"load-{index}"), timeout=30)
            sessions.append(session_of(response.text))
    return sessions


def _hammer(base: str, sessions: list[str], duration: float) -> tuple[list[float], int, int]:
    """Every user clicks through the view tabs as fast as answers come, each click the request the tab itself sends.
    Errors: no 200; busy: "Xero is busy" shown."""
    timings: list[float] = []
    errors = busy = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def user(index: int) -> None:
        nonlocal errors, busy
        mine, failed, refused = [], 0, 0
        headers = {"X-Panel-Session": sessions[index], "HX-Request": "true"}
        # http.client on one keep-alive connection: the load generator shares the machine's cores with the
        # server, and requests' per-call overhead was a good part of a core at this rate.
        http = _LeanClient(base)
        step = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status, body = http.get(TAB_CLICK.format(view=VIEWS[step % 4]), headers)
                ok = status == 200
                refused += b"Xero is busy" in body
            except (OSError, http_client.HTTPException):
                ok = False
                http.reset()
            mine.append(time.perf_counter() - started)
            failed += 0 if ok else 1
            step += 1
        http.reset()
        with lock:
            timings.extend(mine)
            errors += failed
            busy += refused

    with ThreadPoolExecutor(len(sessions)) as pool:
        list(pool.map(user, range(len(sessions))))
    return timings, errors, busy


class _LeanClient:
    """GETs over one persistent loopback connection, reopened after an error."""

    def __init__(self, base: str) -> None:
        self.host, _, port = base.removeprefix("http://").partition(":")
        self.port = int(port)
        self.connection: http_client.HTTPConnection | None = None

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http_client.HTTPConnection(self.host, self.port, timeout=30)
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def reset(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc; 0 for any that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> list[int] | None:
    """The machine's CPU time by kind since boot (/proc/stat's first line), None where there is no /proc."""
    try:
        return [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None


def _stolen_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the machine's time in between that the hypervisor gave to someone else (the 8th field)."""
    if not before or not after or len(before) < 8 or len(after) < 8:
        return None
    spent = [now - then for now, then in zip(after, before, strict=False)]
    total = sum(spent[:8])  # guest times are already counted in user and nice
    return round(spent[7] / total, 3) if total else None


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def wait_for_budget(world: World, calls: int) -> None:
    """Sleep until this minute's budget has room for `calls` (the bench shares one organisation's 60 a minute)."""
    from plugin.services import services

    budget = services(world.app).budget
    deadline = time.monotonic() + 70
    while budget.usage(world.tenant_id).minute_remaining < min(calls, 60) and time.monotonic() < deadline:
        time.sleep(1)


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def _children(pid: int, count: int) -> list[int]:
    """The worker processes, once all `count` of them have started (the first alone would halve the figures)."""
    deadline = time.monotonic() + 10
    pids: list[int] = []
    while time.monotonic() < deadline:
        path = Path(f"/proc/{pid}/task/{pid}/children")
        pids = [int(child) for child in path.read_text().split()] if path.exists() else []
        if len(pids) >= count:
            return pids
        time.sleep(0.2)
    return pids


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_url() -> str:
    """The configured Redis, else the local one when it answers; empty when there is none."""
    url = os.environ.get("XERO_PANEL_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=1).ping()
        return url
    except Exception:  # any failure means: no Redis to share
        return ""


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50_ms": float("nan"), "p95_ms": float("nan")}
    return {"p50_ms": round(1000 * statistics.median(ordered), 3),
            "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3)}


# --- the command --------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per emulator request drowns the table
    quick = bool(getattr(args, "quick", False))
    duration = 5.0 if quick else float(getattr(args, "duration", 60.0))
    users = int(getattr(args, "users", 50))
    workers = int(getattr(args, "workers", 2))
    results: dict[str, Any] = {"machine": _machine(), "quick": quick}
    if getattr(args, "team_day_only", False):
        return _team_day_only(args, results)
    with tempfile.TemporaryDirectory(prefix="xero-panel-bench-") as folder:
        (Path(folder) / "local").mkdir()
        local = start_world(Path(folder) / "local", ttl=5 if quick else 60)  # one worker, in-process cache
        try:
            results["warm_render"] = warm_render(local, quick)
            results["snapshot_cache"] = snapshot_cache(local)
        finally:
            local.stop()
        world = start_world(Path(folder), ttl=5 if quick else 60, redis_url=_redis_url())
        try:
            results["parse"] = parse_speed(quick)
            if world.config["REDIS_URL"]:
                results["warm_render_redis"] = warm_render(world, quick)
                results["snapshot_cache_redis"] = snapshot_cache(world)
            results["cold_render"] = cold_render(world, quick)
            results["calls_per_100_actions"] = calls_per_actions(world)
            results["freshness"] = freshness(world, quick)
            results["load"] = load_run(world, duration=duration, users=users, workers=workers)
        finally:
            world.stop()
            _forget_redis_keys(world.config)
        if getattr(args, "browser", True):
            from devkit.bench_browser import browser_speed

            results["browser"] = browser_speed(quick)
    if getattr(args, "team_day", True):
        results["team_day"] = _team_day(quick)
    print(format_table(results))
    path = Path(getattr(args, "json", "bench-results/bench.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten to {path}")
    return 0


def _team_day(quick: bool) -> dict[str, Any]:
    """The team-day run (devkit/bench_teamday.py), with webhooks and without; `quick`: 20 reps instead of 200."""
    from devkit.bench_teamday import Plan, run_both

    return run_both(Plan(reps=20) if quick else Plan())


def _team_day_only(args: argparse.Namespace, results: dict[str, Any]) -> int:
    from devkit.bench_teamday import format_rows

    results["team_day"] = _team_day(bool(getattr(args, "quick", False)))
    print(format_rows(results["team_day"]))
    path = Path(getattr(args, "json", "bench-results/bench.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**existing, "team_day": results["team_day"]}, indent=2, default=str))
    print(f"\nwritten to {path}")
    return 0


def _forget_redis_keys(config: dict[str, Any]) -> None:
    if not config.get("REDIS_URL"):
        return
    import redis

    connection = redis.Redis.from_url(config["REDIS_URL"])
    for key in connection.scan_iter(match=config["REDIS_KEY_PREFIX"] + "*", count=500):
        connection.delete(key)


def _machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}


def format_table(results: dict[str, Any]) -> str:
    parse, warm, cold = results["parse"], results["warm_render"], results["cold_render"]
    mix, load, fresh = results["calls_per_100_actions"], results["load"], results["freshness"]
    memory = [value for value in load["peak_rss_mb_per_worker"].values() if value is not None]
    rows = [
        ("1 parse 1000-invoice page",
         f"{parse['client_s'] * 1000:.1f} ms vs xero-python {parse['sdk_s'] * 1000:.1f} ms = {parse['ratio']:.1f}x",
         ">= 15x"),
        *[(f"2 warm render, {size} invoices", f"p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f} ms "
           f"(CPU p50 {row.get('cpu_p50_ms', float('nan')):.2f} ms)",
           "p50 <= 2 ms at 100" if size == "100" else "") for size, row in warm.items()],
        *[(f"2 warm render (Redis), {size} invoices", f"p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f} ms "
           f"(CPU p50 {row.get('cpu_p50_ms', float('nan')):.2f} ms)",
           "p50 <= 2.5 ms at 100" if size == "100" else "")
          for size, row in (results.get("warm_render_redis") or {}).items()],
        *[(f"2 per-worker snapshot cache{label}", f"peak {stats['peak_bytes'] / 1e6:.2f} MB of "
           f"{stats['max_bytes'] / 1e6:.0f} MB ({stats['entries']} snapshots, {stats['decoded']} decoded)",
           "<= SNAPSHOT_CACHE_BYTES")
          for label, stats in ((" (in-process)", results.get("snapshot_cache")),
                               (" (Redis)", results.get("snapshot_cache_redis"))) if stats],
        ("3 cold render above latency",
         f"p50 {cold['p50_ms']:.1f} ms, p95 {cold['p95_ms']:.1f} ms "
         f"({cold['xero_calls_per_cold_view']:.1f} calls x {cold['emulator_latency_s']} s)", ""),
        ("4 Xero calls per 100 actions",
         f"{mix['xero_calls']} in {mix['actions']}: {mix['calls_per_cold_view']:.1f} per cold view, "
         f"{mix['calls_per_other_action']:.2f} per other action", "<= 1 per cold view, 0 others"),
        ("5 load run", f"{load['renders_per_s']:.0f} renders/s, p95 {load['p95_ms']:.1f} ms, {load['errors']} errors, "
                       f"server CPU {load.get('server_cpu_ms_per_render', float('nan')):.2f} ms/render on "
                       f"{load.get('server_cores_used', float('nan')):.2f} cores, "
                       f"load avg {load.get('load_average', ['?'])[0]}, {_steal(load)}"
                       f"{load['busy_notices']} busy, "
                       f"{load['emulator_429s']} 429s ({load['workers']} workers, {load['users']} users, "
                       f"{load['duration_s']:.0f} s)", ">= 600/s, <= 2.5 ms CPU/render, 0 errors, 0 429s"),
        ("6 freshness with webhooks", _seconds(fresh["with_webhooks"]["seconds"])
         + f" (poll every {fresh['with_webhooks']['poll_s']:.0f} s)", "<= 5 s"),
        ("6 freshness without webhooks", _seconds(fresh["without_webhooks"]["seconds"])
         + f" (cache TTL {fresh['without_webhooks']['cache_ttl_s']} s)", ""),
        ("7 peak memory per worker", ", ".join(f"{value:.0f} MB" for value in memory) or "n/a", ""),
        *browser_rows(results.get("browser")),
        *_team_day_rows(results.get("team_day")),
    ]
    width = max(len(row[0]) for row in rows)
    lines = [f"{'figure'.ljust(width)} | measured | target", f"{'-' * width}-|----------|-------"]
    lines += [f"{name.ljust(width)} | {value} | {target}" for name, value, target in rows]
    machine = results["machine"]
    lines.append(f"\nmachine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    return "\n".join(lines)


def _team_day_rows(team_day: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if not team_day:
        return []
    rows = []
    for mode, target in (("with_webhooks", "<= 2000 calls, 0 refused, staleness p95 <= 5 s"),
                         ("without_webhooks", "<= 4000 calls, 0 refused, staleness max <= CACHE_TTL")):
        day = team_day.get(mode)
        if day:
            stale = day["staleness_s"]
            rows.append((f"9 team day {mode.replace('_', ' ')}",
                         f"{day['xero_calls']} Xero calls, {day['refused_views']} refused, "
                         f"{day['served_without_waiting']}/{day['views']} without waiting, staleness p50 "
                         f"{stale['p50']:.1f} s, p95 {stale['p95']:.1f} s, max {stale['max']:.1f} s", target))
    return rows


def _steal(load: dict[str, Any]) -> str:
    share = load.get("steal_share")
    return "" if share is None else f"{100 * share:.0f}% stolen by the host, "


def _seconds(value: float | None) -> str:
    return "not seen" if value is None else f"{value:.1f} s"


@click.command("bench", help="Run the benchmark and print its figures beside their targets.")
@click.option("--quick", is_flag=True, help="smaller runs, for CI smoke")
@click.option("--json", "json_path", default="bench-results/bench.json", show_default=True)
@click.option("--duration", type=float, default=60.0, show_default=True, help="seconds of the load run")
@click.option("--users", type=int, default=50, show_default=True, help="concurrent users in the load run")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn workers in the load run")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="time clicks in Chromium (view switch, bucket, Show more, pin, filter, search)")
@click.option("--team-day/--no-team-day", default=True, show_default=True,
              help="the team-day run: 200 reps' working day on a fast clock, with and without webhooks")
@click.option("--team-day-only", is_flag=True, help="only the team-day run (its figures join the JSON)")
def command(quick: bool, json_path: str, duration: float, users: int, workers: int, browser: bool,
            team_day: bool, team_day_only: bool) -> None:
    raise SystemExit(run(argparse.Namespace(quick=quick, json=json_path, duration=duration, users=users,
                                            workers=workers, browser=browser, team_day=team_day,
                                            team_day_only=team_day_only)))


if __name__ == "__main__":
    command()
