"""Waiting is short: a cold view gives up within XERO_VIEW_DEADLINE (8 s) in all and says plainly that Xero is
slow, whatever XERO_TIMEOUT and the retries would have added up to (31 s before: 10 s x 3 tries + backoff).

The client's arithmetic is pinned with a fake clock (a fake session that "takes" its time-out on that clock);
the whole view against the emulator's latency control asserts an upper bound with a generous margin."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from plugin import create_app
from plugin.domain.clock import FixedClock
from plugin.runtime.single_flight import LocalLocks, SingleFlight, StillLoading
from plugin.xero import deadline
from plugin.xero.client import XeroClient
from plugin.xero.deadline import Deadline, XeroSlow
from plugin.xero.endpoints import XeroEndpoints
from tests.conftest import TODAY
from tests.faults.conftest import PanelActions, contact_record, fault_app_config, text_of

SLOW = "Xero is slow to answer right now"
VIEW_DEADLINE = 8.0


class Tokens:
    def access_token(self) -> str:
        return "token"

    def refresh_after_rejection(self, rejected: str) -> str:
        return "token"


class SlowSession:
    """Every GET takes `takes` seconds on the fake clock (or its whole time-out, then requests.Timeout)."""

    def __init__(self, clock: FixedClock, takes: float, status: int = 503) -> None:
        self.clock, self.takes, self.status = clock, takes, status
        self.timeouts: list[float] = []

    def get(self, url, params=None, headers=None, timeout=None):
        self.timeouts.append(timeout)
        if self.takes >= timeout:
            self.clock.advance(timeout)
            raise requests.Timeout("read timed out")
        self.clock.advance(self.takes)
        response = requests.Response()
        response.status_code = self.status
        response._content = b"{}"
        return response


def client(clock: FixedClock, session: SlowSession, timeout: float = 10.0) -> XeroClient:
    return XeroClient(endpoints=XeroEndpoints.emulator("http://xero.invalid"), tenant_id="t", tokens=Tokens(),
                      session=session, timeout=timeout, clock=clock, jitter=lambda seconds: seconds)


def test_time_outs_stop_at_the_views_deadline_not_after_three_full_tries():
    clock = FixedClock.at(TODAY)
    session = SlowSession(clock, takes=60)
    started = clock.monotonic()
    with deadline.within(Deadline(VIEW_DEADLINE, clock)), pytest.raises(XeroSlow):
        client(clock, session).organisation()
    assert clock.monotonic() - started <= VIEW_DEADLINE
    assert session.timeouts == [VIEW_DEADLINE], "one try, cut to the time left; a retry would not fit"


def test_slow_5xx_answers_are_retried_only_while_a_retry_fits():
    clock = FixedClock.at(TODAY)
    session = SlowSession(clock, takes=3.0, status=503)
    started = clock.monotonic()
    with deadline.within(Deadline(VIEW_DEADLINE, clock)), pytest.raises(XeroSlow) as raised:
        client(clock, session).organisation()
    assert clock.monotonic() - started <= VIEW_DEADLINE
    assert len(session.timeouts) == 3 and session.timeouts[-1] < 10.0, "the last try gets only the time left"
    assert SLOW in raised.value.user_message


def test_without_a_deadline_the_client_keeps_its_own_time_out_and_retries():
    clock = FixedClock.at(TODAY)
    session = SlowSession(clock, takes=60)
    with pytest.raises(Exception) as raised:
        client(clock, session).organisation()
    assert session.timeouts == [10.0, 10.0, 10.0] and not isinstance(raised.value, XeroSlow)


def test_a_single_flight_waiter_stops_at_its_deadline_and_says_xero_is_slow():
    flight = SingleFlight(LocalLocks(), max_wait=30.0)
    leader_in = threading.Event()
    release = threading.Event()

    def slow_fetch():
        leader_in.set()
        release.wait(5)
        return "done"

    leader = threading.Thread(target=lambda: flight.run("k", slow_fetch, lambda: None))
    leader.start()
    leader_in.wait(5)
    started = time.monotonic()
    try:
        with deadline.within(Deadline(0.3)), pytest.raises(StillLoading) as raised:
            flight.run("k", lambda: "mine", lambda: None)
    finally:
        release.set()
        leader.join()
    assert time.monotonic() - started < 2.0
    assert SLOW in raised.value.user_message and "busy" not in raised.value.user_message


# --- the whole view against the emulator ------------------------------------------------------------------------


@pytest.fixture
def panel_app(tmp_path, clock, emulator):
    """XERO_TIMEOUT at its default (10 s): the view's deadline, not the time-out, must end the wait."""
    return create_app(fault_app_config(tmp_path, clock, emulator, XERO_TIMEOUT=10.0))


def test_a_cold_view_on_a_slow_xero_gives_up_within_8_seconds_and_says_xero_is_slow(panel, customer, emulator,
                                                                                     panel_app, clock, connected):
    emulator.state.set_latency(12.0)  # slower than the deadline, faster than three 10 s time-outs
    other = emulator.state.customers(connected["tenant_id"])[5]
    second = PanelActions(panel_app, clock, emulator)
    answers: dict[str, tuple[float, str]] = {}

    def view(name: str, actions: PanelActions, record: dict) -> None:
        started = time.monotonic()
        body = text_of(actions.open(record))
        answers[name] = (time.monotonic() - started, body)

    threads = [threading.Thread(target=view, args=("first", panel, contact_record(customer))),
               threading.Thread(target=view, args=("second", second, contact_record(other)))]
    try:
        for thread in threads:
            thread.start()
            time.sleep(0.2)  # the second panel of the organisation waits on the first one's directory fetch
        for thread in threads:
            thread.join(30)
    finally:
        emulator.state.reset_faults()
    for name in ("first", "second"):
        took, body = answers[name]
        assert took < VIEW_DEADLINE + 1.5, f"{name} panel took {took:.1f}s"
        assert SLOW in body, f"{name} panel says the true cause"
        assert "Xero is busy" not in body
