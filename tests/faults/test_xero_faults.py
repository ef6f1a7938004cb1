"""Every way Xero can misbehave, driven through the emulator's controls and the panel's HTTP surface.

Each ends in a plain-words panel state, or the last good data marked with its age; never a 500, never
a hung request (every request runs under `bounded`), and the log says what happened.
"""

from __future__ import annotations

import re

import pytest

from devkit.emulator import serialize
from plugin.settings import EMULATOR_CLIENT_ID
from plugin.storage import get_database
from tests.faults.conftest import assert_logged, assert_plain_state, bounded, rows_in, text_of
from tests.panel.conftest import contact_record

UNAVAILABLE = "Xero isn't answering right now. Try again in a minute."
UNREADABLE = "Xero sent data this panel could not read."


def refresh(panel):
    return bounded(lambda: panel.post("/panel/refresh", view="unpaid"))


# --- rate limits ---------------------------------------------------------------------------------------


def test_the_minute_limit_keeps_the_last_data_marked_with_its_age(panel, opened, emulator, connected, log):
    emulator.state.exhaust_limit(connected["tenant_id"], "minute")
    body = assert_plain_state(refresh(panel), "Xero is busy. Try again in", stale_rows=True)
    assert re.search(r"Try again in \d+ seconds\.", body)
    assert_logged(log, "RateLimited", "minute")


def test_the_day_limit_says_hours_and_stops_asking_xero_until_tomorrow(panel, opened, emulator, connected, log):
    emulator.state.exhaust_limit(connected["tenant_id"], "day")
    body = assert_plain_state(refresh(panel), "used up today's Xero allowance", stale_rows=True)
    assert re.search(r"Try again in about \d+ hours\.", body), "a wait of hours is not said in seconds"
    assert panel.calls() == 0, "the refused call is not counted by Xero"
    emulator.state.reset_call_counts()
    assert_plain_state(refresh(panel), "used up today's Xero allowance", stale_rows=True)
    assert emulator.state.api_calls() == 0, "the budget learnt from Xero's headers: no more calls today"
    assert_logged(log, "RateLimited", "day")


def test_the_concurrent_limit_is_waited_out_briefly_then_reported(panel, opened, emulator, connected, log):
    emulator.state.exhaust_limit(connected["tenant_id"], "concurrent")
    assert_plain_state(refresh(panel), "Xero is busy. Try again in 1 second.", stale_rows=True)
    assert_logged(log, "RateLimited", "concurrent")


# --- Xero failing ------------------------------------------------------------------------------------------


def test_a_short_burst_of_5xx_is_retried_and_never_seen(panel, opened, emulator):
    emulator.state.fail_next(2, "503")
    body = text_of(refresh(panel))
    assert "Xero isn't answering" not in body and "Last updated" not in body
    assert rows_in(body) > 0
    assert panel.calls() == 3


@pytest.mark.parametrize("kind", ["500", "503"])
def test_a_long_burst_of_5xx_keeps_the_last_data(panel, opened, emulator, log, kind):
    emulator.state.fail_next(5, kind)
    assert_plain_state(refresh(panel), UNAVAILABLE, stale_rows=True)
    assert_logged(log, "XeroUnavailable", f"HTTP {kind}")


def test_half_of_all_calls_failing_still_gives_every_rep_a_plain_answer(panel, emulator, connected):
    emulator.state.fail_share(0.5, "500")
    customers = emulator.state.customers(connected["tenant_id"])[:8]
    for customer in customers:
        response = bounded(lambda customer=customer: panel.open(contact_record(customer)))
        body = text_of(response)
        assert response.status_code == 200
        answered = ('class="invoice__number"', 'class="rows__empty"', 'class="state__title"')
        assert any(mark in body for mark in answered), "rows, an empty view, or a state in plain words"


def test_time_outs_are_bounded_and_keep_the_last_data(panel, opened, emulator, log):
    emulator.state.fail_next(3, "timeout")
    assert_plain_state(refresh(panel), UNAVAILABLE, stale_rows=True)
    assert_logged(log, "XeroUnavailable", "Timeout")


def test_a_slow_answer_within_the_time_out_is_simply_shown(panel, customer, emulator):
    emulator.state.set_latency(0.2)
    body = text_of(bounded(lambda: panel.open(contact_record(customer))))
    assert rows_in(body) > 0 and "Xero isn't answering" not in body


def test_an_answer_slower_than_the_time_out_is_reported_on_a_cold_view(panel, customer, emulator, log):
    emulator.state.set_latency(1.0)  # twice XERO_TIMEOUT
    assert_plain_state(bounded(lambda: panel.open(contact_record(customer))), UNAVAILABLE, stale_rows=False)
    assert_logged(log, "XeroUnavailable", "Timeout")


def test_malformed_json_keeps_the_last_data(panel, opened, emulator, log):
    emulator.state.fail_next(3, "malformed")
    assert_plain_state(refresh(panel), UNAVAILABLE, stale_rows=True)
    assert_logged(log, "XeroUnavailable", "not JSON")


def test_a_plain_text_404_is_said_in_plain_words(panel, opened, emulator, log):
    # The first 404 drops the record's match and matches again (tests/panel/test_contact_gone.py); a 404 on that
    # second try too is said in plain words over the last data.
    emulator.state.fail_next(2, "notfound")
    assert_plain_state(refresh(panel), "Xero could not find that record.", stale_rows=True)
    assert_logged(log, "NotFound")


# --- the connection --------------------------------------------------------------------------------------


def _drop_emulator_connection(emulator, tenant_id: str) -> None:
    """What an organisation's adviser does in Xero under Settings > Connected apps > Disconnect."""
    state = emulator.state
    with state.lock:
        for connection_id, connection in list(state.connections.items()):
            if connection.tenant_id == tenant_id and connection.client_id == EMULATOR_CLIENT_ID:
                del state.connections[connection_id]


@pytest.mark.parametrize(("role", "button"), [("admin", True), ("member", False)])
def test_a_connection_revoked_in_xero_asks_for_a_reconnect(panel, customer, emulator, connected, log, role, button):
    _drop_emulator_connection(emulator, connected["tenant_id"])
    body = assert_plain_state(bounded(lambda: panel.open(contact_record(customer), role=role)),
                              "The Xero connection needs to be renewed", stale_rows=False)
    assert ("Reconnect Xero" in body) is button
    assert get_database(panel.app).connections.get("acct-1").needs_reconnect
    assert_logged(log, "ConnectionRevoked", "AuthenticationUnsuccessful")


def _reuse_the_stored_refresh_token(panel, emulator) -> None:
    """Someone else spends our refresh token (a restored backup, a copied database) and half an hour passes."""
    stored = get_database(panel.app).connections.tokens("acct-1")
    state = emulator.state
    state.refresh(state.clients[EMULATOR_CLIENT_ID], stored.refresh_token)


@pytest.mark.parametrize("how", ["reused by someone else", "unused for 61 days"])
def test_a_refresh_token_xero_refuses_asks_for_a_reconnect(panel, customer, emulator, connected, clock, log, how):
    if how == "reused by someone else":
        _reuse_the_stored_refresh_token(panel, emulator)
        wait = {"minutes": 40}  # past the access token's life and the 30-minute grace
    else:
        wait = {"days": 61}
    clock.advance(**wait)
    emulator.state.clock.advance(**wait)
    assert_plain_state(bounded(lambda: panel.open(contact_record(customer))),
                       "The Xero connection needs to be renewed", stale_rows=False)
    assert get_database(panel.app).connections.get("acct-1").needs_reconnect
    assert_logged(log, "refresh token", "refused")


# --- data the panel cannot read ------------------------------------------------------------------------


def left_out_notice(number: str, reason: str) -> str:
    return f"1 invoice from Xero couldn't be read and is left out of this list and the totals: {number} ({reason})."


def total_unpaid(body: str) -> str:
    """What the summary says is owed, in every currency, e.g. "NZD $1,150.00 | AUD A$20.00"."""
    found = re.findall(r'data-currency="([A-Z]{3})"[^>]*>\s*<p class="owed__line">\s*<span class="owed__total">'
                       r'<span class="owed__amount num">([^<]+)<', body)
    assert found, "the panel shows what is owed"
    return " | ".join(f"{currency} {amount}" for currency, amount in found)


def assert_left_out(response, notice: str, *, like: str | None = None) -> str:
    """A current (not stale) panel listing the readable invoices, with the notice naming the unreadable one;
    `like`: an earlier body whose rows and totals it must match (the unreadable invoice added nothing)."""
    body = text_of(response)
    assert response.status_code == 200, body[:300]
    assert notice in body
    assert UNREADABLE not in body and "Showing what Xero sent at" not in body, "the data is current, not kept"
    assert rows_in(body) > 0, "the readable invoices are listed"
    if like is not None:
        assert rows_in(body) == rows_in(like)
        assert total_unpaid(body) == total_unpaid(like), "the totals leave the unreadable invoice out"
    return body


def test_an_invoice_in_an_unknown_currency_is_left_out_and_named(panel, opened, customer, emulator, connected, log):
    before = text_of(refresh(panel))
    emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], currency="XQZ", number="INV-9042",
                                  amount="900.00")
    body = assert_left_out(refresh(panel), left_out_notice("INV-9042", "unknown currency 'XQZ'"), like=before)
    assert "INV-9042" not in body.split("left out of this list")[1].split("</p>", 1)[1]
    assert_logged(log, "BadXeroData", "CurrencyCode", "XQZ", "INV-9042")


def test_an_invoice_in_an_unknown_currency_on_a_cold_view_is_left_out(panel, customer, emulator, connected, log):
    emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], currency="XQZ", number="INV-9043")
    assert_left_out(bounded(lambda: panel.open(contact_record(customer))),
                    left_out_notice("INV-9043", "unknown currency 'XQZ'"))
    assert_logged(log, "BadXeroData", "CurrencyCode")


def test_the_left_out_notice_stays_on_cache_hits(panel, opened, customer, emulator, connected):
    emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], currency="XQZ", number="INV-9044")
    notice = left_out_notice("INV-9044", "unknown currency 'XQZ'")
    assert_left_out(refresh(panel), notice)
    emulator.state.reset_call_counts()
    for view in ("paid", "all"):
        assert_left_out(bounded(lambda view=view: panel.get("/panel/invoices", view=view)), notice)
    assert emulator.state.api_calls() == 0, "switching views read the cached snapshot"


def test_an_invoice_missing_its_total_is_left_out_and_named(panel, opened, customer, emulator, connected, log,
                                                             monkeypatch):
    before = text_of(refresh(panel))
    broken = emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], number="INV-9045")
    whole = serialize.invoice

    def without_total(invoice, *args, **kwargs):
        body = whole(invoice, *args, **kwargs)
        if invoice.invoice_id == broken:
            del body["Total"]
        return body

    monkeypatch.setattr(serialize, "invoice", without_total)
    assert_left_out(refresh(panel), left_out_notice("INV-9045", "no Total"), like=before)
    assert_logged(log, "BadXeroData", "Total", "missing", "INV-9045")
