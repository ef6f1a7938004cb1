"""A bounded load run on loopback: the panel under gunicorn (2 workers x 4 threads), many reps, Xero failing
a share of calls, and the server stopped and started again in the middle. Reps on the same record pin and
unpin the same invoices at the same moment, round after round, each round with one wanted state per pin.

Checked at the end against the database: every pin is in the state its last round asked for, none doubled;
no request got a 5xx (or any answer but 200). Figures are printed (pytest -s) and kept in FIGURES.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from devkit.bench import ACCOUNT, _free_port, _wait_until_up, context_url, session_of, start_world, unique_customers
from plugin.storage import RecordKey, get_database

pytestmark = pytest.mark.slow

RECORDS = 6
REPS_PER_RECORD = 4
PINS_PER_RECORD = 4
RUN_SECONDS = 16.0  # the whole run, the restart included, stays well under a minute
RESTART_AT = 7.0
RETRY_FOR_SECONDS = 20.0
VIEWS = ("open", "unpaid", "paid", "overdue", "pinned")
VIEWS_PER_ROUND = 4
FIGURES: dict[str, int] = {}


class Gunicorn:
    """`xero-panel serve` in a subprocess, configured through XERO_PANEL_* like production."""

    def __init__(self, config: dict, port: int, access_log: Path) -> None:
        self.env = {**os.environ, **{f"XERO_PANEL_{key}": str(value) for key, value in config.items()}}
        self.command = [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers",
                        "2", "--threads", "4", "--access-log", str(access_log)]
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        _wait_until_up(self.base)

    def stop(self) -> None:
        """SIGTERM: gunicorn stops accepting, lets requests in flight finish, then exits."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.retries = 0

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def retried(self) -> None:
        with self.lock:
            self.retries += 1


def call(http: requests.Session, tally: Tally, method: str, url: str, **options) -> requests.Response:
    """One request; while the server is down (restart), try again: every request here is safe to repeat."""
    give_up = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        try:
            response = http.request(method, url, timeout=30, **options)
        except requests.ConnectionError:
            if time.monotonic() > give_up:
                raise
            tally.retried()
            time.sleep(0.1)
            continue
        tally.count(response.status_code)
        return response


@pytest.fixture
def world(tmp_path):
    from tests.scale.conftest import reachable

    redis_url = "redis://127.0.0.1:6379/0" if reachable(6379) else ""
    world = start_world(tmp_path, ttl=30, redis_url=redis_url)  # Refresh (below) is what asks Xero
    yield world
    world.stop()
    if redis_url:
        from devkit.bench import _forget_redis_keys

        _forget_redis_keys(world.config)


def record_of(customer: dict) -> RecordKey:
    return RecordKey("contact", f"c-{customer['contact_id'][:8]}")  # as devkit.bench.context_url names it


def test_reps_pinning_through_faults_and_a_restart_lose_nothing(world, tmp_path):
    state = world.state
    customers = unique_customers(state, world.tenant_id)[:RECORDS]
    pins = {c["contact_id"]: [i.invoice_id for i in state.orgs[world.tenant_id].invoices_of(c["contact_id"])]
            [:PINS_PER_RECORD] for c in customers}
    access_log = tmp_path / "access.log"
    server = Gunicorn(world.config, _free_port(), access_log)
    server.start()
    state.fail_share(0.3, "500")  # Xero fails three calls in ten for the whole run
    state.set_latency(0.02)
    tally = Tally()
    wanted: dict[tuple[str, int], dict[str, bool]] = {}  # (contact, round) -> invoice -> pinned?
    last_round: dict[str, int] = {}
    rounds_lock = threading.Lock()
    reps = [(customer, n) for customer in customers for n in range(REPS_PER_RECORD)]
    barrier = threading.Barrier(len(reps))
    stop_at = time.monotonic() + RUN_SECONDS

    def wanted_for(contact_id: str, round_number: int) -> dict[str, bool]:
        with rounds_lock:
            key = (contact_id, round_number)
            if key not in wanted:
                chooser = random.Random(f"{contact_id}:{round_number}")
                wanted[key] = {invoice_id: chooser.random() < 0.5 for invoice_id in pins[contact_id]}
            return wanted[key]

    def rep(customer: dict, number: int) -> None:
        contact_id = customer["contact_id"]
        with requests.Session() as http:
            page = call(http, tally, "GET", context_url(server.base, customer, user=f"rep-{contact_id[:4]}-{number}"))
            headers = {"X-Panel-Session": session_of(page.text), "HX-Request": "true"}
            round_number = 0
            while True:
                barrier.wait(timeout=60)  # every rep starts a round together, so same-pin clicks collide
                if time.monotonic() > stop_at:
                    return
                goal = wanted_for(contact_id, round_number)
                order = list(goal)
                random.Random(f"{number}:{round_number}").shuffle(order)
                for invoice_id in order:
                    call(http, tally, "POST", f"{server.base}/panel/pins/{invoice_id}",
                         data={"pinned": "true" if goal[invoice_id] else "false"}, headers=headers)
                for step in range(VIEWS_PER_ROUND):
                    view = VIEWS[(number + round_number + step) % len(VIEWS)]
                    call(http, tally, "GET", f"{server.base}/panel/invoices", params={"view": view}, headers=headers)
                with rounds_lock:
                    last_round[contact_id] = max(last_round.get(contact_id, 0), round_number)
                round_number += 1

    def refresher(customer: dict) -> None:
        """A rep pressing Refresh now and then (the only action that asks Xero, which fails 3 calls in 10)."""
        with requests.Session() as http:
            page = call(http, tally, "GET", context_url(server.base, customer, user=f"refresher-{customer['name']}"))
            headers = {"X-Panel-Session": session_of(page.text), "HX-Request": "true"}
            while time.monotonic() < stop_at:
                call(http, tally, "POST", f"{server.base}/panel/refresh", headers=headers)
                time.sleep(0.5)

    def restart() -> None:
        time.sleep(RESTART_AT)
        server.stop()
        server.start()

    threads = [threading.Thread(target=rep, args=pair) for pair in reps] + [threading.Thread(target=restart)]
    threads += [threading.Thread(target=refresher, args=(customer,)) for customer in customers[:2]]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in threads), "the load run did not finish in time"
    finally:
        state.reset_faults()
        server.stop()

    db = get_database(world.app)
    checked = 0
    for customer in customers:
        expected = {i for i, on in wanted[(customer["contact_id"], last_round[customer["contact_id"]])].items() if on}
        stored = [pin.invoice_id for pin in db.pins.for_record(ACCOUNT, record_of(customer), world.tenant_id)]
        # sorted lists, not sets: a doubled pin would show up twice here
        assert sorted(stored) == sorted(expected), f"pins of {customer['name']} after the last round"
        checked += len(pins[customer["contact_id"]])
    served = sum(tally.statuses.values())
    FIGURES.update(requests_served=served, pins_checked=checked, rounds=min(last_round.values()) + 1,
                   retries_during_restart=tally.retries, xero_calls=state.api_calls())
    print(f"\nload run: {served} requests served ({dict(tally.statuses)}), {checked} pins checked over "
          f"{FIGURES['rounds']}+ rounds of {len(reps)} reps, {tally.retries} retries while restarting, "
          f"{state.api_calls()} Xero calls (30% failing)")
    assert set(tally.statuses) == {200}, f"every answer was a 200: {dict(tally.statuses)}"
    assert tally.retries > 0, "the restart happened while reps were working"
    assert "context=" not in access_log.read_text(), "the access log never records a CRM context"
