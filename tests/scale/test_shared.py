"""Scale-out on the real Redis: the budget held across worker processes, and 50 concurrent cold
requests on two workers making one Xero call (counted by the emulator)."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from plugin import create_app
from plugin.domain.clock import SystemClock
from plugin.runtime.budget import RateBudget, RedisBudgetStore
from plugin.xero.client import XeroClient
from plugin.xero.endpoints import XeroEndpoints
from plugin.xero.errors import RateLimited
from tests.scale.conftest import REDIS_URL

pytestmark = pytest.mark.redis


def spend_in_worker(prefix: str, attempts: int, start: threading.Barrier, results) -> None:
    """One worker process: try `attempts` calls against the shared budget, report how many got a slot."""
    import redis

    budget = RateBudget(RedisBudgetStore(redis.Redis.from_url(REDIS_URL), prefix), clock=SystemClock(),
                        wait_for_slot=0)
    start.wait()
    granted = refused = 0
    for _ in range(attempts):
        try:
            with budget.slot("tenant-shared"):
                granted += 1
        except RateLimited:
            refused += 1
    results.put((granted, refused))


def test_budget_is_held_across_two_worker_processes(redis_prefix):
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=spend_in_worker, args=(redis_prefix, 50, start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    assert sum(granted for granted, _ in outcomes) == 60, outcomes
    assert sum(refused for _, refused in outcomes) == 40


class EmulatorTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refresh_after_rejection(self, rejected: str) -> str:
        return self.token


def worker_app(tmp_path, name, emulator, redis_prefix, clock):
    return create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/{name}.sqlite",
                       "XERO_EMULATOR_URL": emulator.url, "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": redis_prefix})


def test_fifty_concurrent_cold_requests_on_two_workers_make_one_xero_call(tmp_path, emulator, redis_prefix, clock):

    tenant_id = emulator.state.tenants[0]["tenant_id"]
    contact_id = emulator.state.customers(tenant_id)[0]["contact_id"]
    token = emulator.state.issue_token_set()["access_token"]
    apps = [worker_app(tmp_path, name, emulator, redis_prefix, clock) for name in ("worker-1", "worker-2")]
    emulator.state.reset_call_counts()
    emulator.state.set_latency(0.3)  # the one call is still in flight while the others arrive
    arrived = threading.Barrier(50, timeout=10)

    def cold_request(index: int):
        app = apps[index % 2]
        with app.app_context():
            from plugin.services import services

            budget = services(app).budget
            client = XeroClient(endpoints=XeroEndpoints.emulator(emulator.url), tenant_id=tenant_id,
                                tokens=EmulatorTokens(token), gate=budget.gate(tenant_id),
                                on_limits=budget.on_limits(tenant_id))
            store = services(app).invoices(lambda: client)
            arrived.wait()
            return store.load_invoices(tenant_id, contact_id)

    with ThreadPoolExecutor(50) as pool:
        snapshots = list(pool.map(cold_request, range(50)))
    assert emulator.state.api_calls(tenant_id) == 1
    assert len({snapshot.fetched_at for snapshot in snapshots}) == 1
    assert snapshots[0].invoices, "the contact has invoices"
