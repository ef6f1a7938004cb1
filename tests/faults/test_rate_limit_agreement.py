"""Rate-limit messages count down from what Xero said (Retry-After) and agree with each other across panels."""

from __future__ import annotations

import re

from tests.faults.conftest import PanelActions, bounded, text_of
from tests.panel.conftest import contact_record


def countdown(body: str) -> int:
    found = re.search(r'data-countdown="(\d+)"', body)
    assert found, "the rate-limit message counts down"
    return int(found.group(1))


def test_every_panel_of_the_organisation_counts_down_from_xeros_retry_after(panel, panel_app, clock, emulator,
                                                                             connected):
    customers = emulator.state.customers(connected["tenant_id"])
    first, second = contact_record(customers[4]), contact_record(customers[5])
    second_rep = PanelActions(panel_app, clock, emulator)
    panel.open(first)
    second_rep.open(second)  # both panels hold data; the directory is cached
    emulator.state.exhaust_limit(connected["tenant_id"], "minute")
    emulator.state.clock.advance(23)  # Xero's minute window has 37 s left; our own budget would guess 60

    refused_by_xero = text_of(bounded(lambda: panel.post("/panel/refresh")))
    assert "Xero is busy. Try again in 37 seconds." in refused_by_xero
    assert countdown(refused_by_xero) == 37
    assert "data-retry-when-allowed" in refused_by_xero, "the panel asks again by itself when the time is up"

    calls = emulator.state.api_calls()
    refused_by_budget = text_of(bounded(lambda: second_rep.post("/panel/refresh")))
    assert emulator.state.api_calls() == calls, "our budget refused without asking Xero"
    assert "Try again in 37 seconds." in refused_by_budget and countdown(refused_by_budget) == 37

    clock.advance(10)
    later = text_of(bounded(lambda: second_rep.post("/panel/refresh")))
    assert countdown(later) == 27, "counting down to the same instant"
