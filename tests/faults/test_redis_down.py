"""REDIS_URL is configured but nothing listens there: each worker falls back to its own cache, rate budget
and locks, keeps calling Xero within that budget, says so in the log, and goes back to Redis when it answers.
The single-use markers have no fallback: a CRM context that can't be marked used is refused (503)."""

from __future__ import annotations

import socket

import pytest
import redis

from plugin import create_app
from plugin.runtime.markers import CheckedDatabaseMarkers
from plugin.runtime.redis_link import Failover
from plugin.services import services
from plugin.storage.markers import DatabaseMarkers
from tests.faults.conftest import assert_logged, bounded, fault_app_config, rows_in, text_of
from tests.panel.conftest import contact_record


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def panel_app(tmp_path, clock, emulator):
    return create_app(fault_app_config(tmp_path, clock, emulator, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0"))


@pytest.fixture
def markers_answer(panel_app, monkeypatch):
    """Single-use markers that answer (as if the context had been checked just before Redis went away): the
    cache, budget and locks below still find Redis down. Without this, a first load is refused (next test)."""
    shared = services(panel_app)
    monkeypatch.setattr(shared, "markers", CheckedDatabaseMarkers(DatabaseMarkers(shared.database)))


def test_without_redis_a_first_load_is_refused_rather_than_accepted_unchecked(panel, customer, connected):
    response = bounded(lambda: panel.open(contact_record(customer)))
    assert response.status_code == 503
    assert "Try again" in text_of(response) and panel.session == ""


def test_without_redis_the_panel_calls_xero_within_this_workers_budget(markers_answer, panel, customer, connected,
                                                                      log):
    body = text_of(bounded(lambda: panel.open(contact_record(customer))))
    assert rows_in(body) > 0
    tenant_id = connected["tenant_id"]
    with panel.app.app_context():
        usage = services(panel.app).budget.usage(tenant_id)
    assert usage.minute_used == panel.emulator.state.api_calls(tenant_id) > 0, "every Xero call was budgeted"
    assert_logged(log, "Redis unreachable", "cache")
    assert_logged(log, "Redis unreachable", "rate budget")


@pytest.fixture
def opened(markers_answer, panel, customer):
    response = panel.open(contact_record(customer))
    assert response.status_code == 200
    panel.emulator.state.reset_call_counts()
    return response


def test_without_redis_views_are_served_from_this_workers_cache(panel, opened):
    for view in ("paid", "unpaid", "overdue"):
        response = bounded(lambda view=view: panel.get("/panel/invoices", view=view))
        assert response.status_code == 200
    assert panel.calls() == 0


# --- Failover itself, with stand-ins that fail as redis-py does ----------------------------------------------


class Flaky:
    def __init__(self) -> None:
        self.down = True
        self.released: list[str] = []

    def get(self, key: str) -> str:
        if self.down:
            raise redis.exceptions.ConnectionError("Error 111 connecting. Connection refused.")
        return f"redis:{key}"

    def release(self, key: str) -> None:
        if self.down:
            raise redis.exceptions.TimeoutError("Timeout reading from socket")
        self.released.append(key)


class Local:
    def __init__(self) -> None:
        self.released: list[str] = []

    def get(self, key: str) -> str:
        return f"local:{key}"

    def release(self, key: str) -> None:
        self.released.append(key)


def test_failover_uses_the_fallback_while_redis_is_down_and_returns_when_it_answers(clock, caplog):
    primary, fallback = Flaky(), Local()
    failover = Failover(primary, fallback, what="cache", clock=clock, retry_after=30)
    assert failover.get("a") == "local:a"
    primary.down = False
    assert failover.get("b") == "local:b", "Redis is not asked again until the retry interval has passed"
    clock.advance(31)
    assert failover.get("c") == "redis:c"
    messages = [record.getMessage() for record in caplog.records]
    assert any("Redis unreachable" in message for message in messages)
    assert any("Redis answers again" in message for message in messages)


def test_a_release_reaches_both_sides_so_no_lease_is_stranded(clock):
    primary, fallback = Flaky(), Local()
    failover = Failover(primary, fallback, what="locks", release_both=("release",), clock=clock)
    failover.release("taken-while-down")
    primary.down = False
    clock.advance(31)
    failover.release("taken-while-up")
    assert fallback.released == ["taken-while-down", "taken-while-up"]
    assert primary.released == ["taken-while-up"]


def test_the_shared_cache_gives_up_on_a_stalled_redis_instead_of_hanging(panel_app):

    shared = panel_app.extensions["cache"][services(panel_app).cache]
    assert isinstance(shared, Failover)
    options = shared.primary._write_client.connection_pool.connection_kwargs
    assert options["socket_timeout"] == 5 and options["socket_connect_timeout"] == 2, \
        "a Redis that stops answering must raise (and fail over), not hold the request forever"
