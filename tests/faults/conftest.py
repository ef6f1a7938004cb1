"""Fault fixtures: the panel app of tests/panel (connected account "acct-1", a rep clicking as htmx would),
with short Xero time-outs so a held emulator request costs a second, and helpers that bound every request."""

from __future__ import annotations

import logging
import threading

import pytest

from plugin import create_app
from tests.panel.conftest import CONTEXT_SECRET, PanelActions, connected, contact_record, tenant, text_of  # noqa: F401

# A time-out costs XERO_TIMEOUT per attempt and the client tries three times: keep it short in tests.
XERO_TIMEOUT = 0.5
# Longest any panel request may take under a fault: three attempts, back-off and the budget's waits.
REQUEST_BOUND_SECONDS = 20.0


def fault_app_config(tmp_path, clock, emulator, **extra) -> dict:
    return {
        "TESTING": True,
        "CLOCK": clock,
        "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite",
        "XERO_EMULATOR_URL": emulator.url,
        "XERO_TIMEOUT": XERO_TIMEOUT,
        "CONTEXT_SECRET": CONTEXT_SECRET,
        "CACHE_TTL": 60,
        "SECRET_KEY": "fault-tests-secret-key",
        **extra,
    }


@pytest.fixture
def panel_app(tmp_path, clock, emulator):
    """Replaces tests/panel's app (same name, so its `connected` fixture uses this one)."""
    return create_app(fault_app_config(tmp_path, clock, emulator))


@pytest.fixture
def panel(panel_app, clock, emulator) -> PanelActions:
    return PanelActions(panel_app, clock, emulator)


@pytest.fixture
def customer(emulator, connected) -> dict:  # noqa: F811
    """A seeded customer with invoices of every kind (the one tests/panel uses)."""
    return emulator.state.customers(connected["tenant_id"])[4]


@pytest.fixture
def opened(panel, customer):
    """The panel open on the customer, data cached; Xero calls counted from here on."""
    response = panel.open(contact_record(customer))
    assert response.status_code == 200
    assert "Matched by the contact's email" in text_of(response)
    panel.emulator.state.reset_call_counts()
    return response


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def bounded(action, seconds: float = REQUEST_BOUND_SECONDS):
    """Run `action()` in a thread; fail (instead of hanging the suite) if it has not returned in `seconds`."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as error:  # handed back to the test below
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"the request was still running after {seconds}s: a hung request"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


STALE_MARK = "Showing what Xero sent at"


def rows_in(body: str) -> int:
    return body.count('class="invoice__number"')


def assert_plain_state(response, words: str, *, stale_rows: bool) -> str:
    """A 200 panel saying `words`; with `stale_rows`, the last good rows are still there, marked with their age."""
    body = text_of(response)
    assert response.status_code == 200, body[:300]
    assert words in body
    assert "Traceback" not in body and "Internal Server Error" not in body
    if stale_rows:
        assert STALE_MARK in body and "Last updated" in body, "the kept data says when it was fetched"
        assert rows_in(body) > 0, "the last good rows are still shown"
    return body


def assert_logged(caplog, *fragments: str) -> None:
    """Some record from the product (not the emulator's access log) mentions every fragment."""
    messages = [record.getMessage() for record in caplog.records if record.name.startswith("plugin.")
                and not record.name.startswith("devkit.emulator")]
    assert any(all(fragment in message for fragment in fragments) for message in messages), messages
