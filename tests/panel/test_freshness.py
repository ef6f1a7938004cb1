"""Freshness: expired data shown at once and revalidated by a follow-up request (stale-while-revalidate)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from plugin.xero.webhooks import sign
from tests.panel.conftest import contact_record, text_of

WEBHOOK_KEY = "panel-freshness-webhook-key"

FOLLOW_UP = re.compile(r'<div hidden data-refresh-follow-up hx-get="([^"]+)"\s+'
                       r'hx-trigger="load, xero-data-changed from:body"\s+hx-vals=\'([^\']+)\'')
ON_CHANGE = re.compile(r'<div hidden data-refresh-follow-up hx-get="([^"]+)"\s+'
                       r'hx-trigger="xero-data-changed from:body"\s+hx-vals=\'([^\']+)\'')
CHANGE_POLL = re.compile(r'<div hidden data-change-poll hx-get="([^"]+)"\s+hx-trigger="every 3s" hx-swap="none"')


def follow_up_of(response) -> tuple[str, dict[str, str]]:
    found = FOLLOW_UP.search(response.get_data(as_text=True))
    assert found, "the panel asks for fresh data on load"
    return unescape(found.group(1)), json.loads(unescape(found.group(2)))


def an_open_invoice(emulator, connected, customer):
    invoices = emulator.state.orgs[connected["tenant_id"]].invoices_of(customer["contact_id"])
    return next(invoice for invoice in invoices if invoice.status == "AUTHORISED" and invoice.amount_due > 5)


@pytest.mark.parametrize("how", ["view switch", "first load"])
def test_expired_data_renders_at_once_marked_and_the_follow_up_swaps_in_fresh_data(
        panel, opened, customer, connected, emulator, clock, how):
    invoice = an_open_invoice(emulator, connected, customer)
    emulator.state.add_payment(invoice.invoice_id, "1.00", reference="while cached")
    clock.advance(61)  # past CACHE_TTL
    shown = panel.get("/panel/invoices", view="unpaid", limit="50") if how == "view switch" \
        else panel.open(contact_record(customer))
    assert panel.calls() == 0, "expired data is shown without waiting for Xero"
    assert "· refreshing…" in text_of(shown)
    path, values = follow_up_of(shown)
    assert values["fresh"] == "1"
    if how == "view switch":
        assert values["limit"] == "50", "Show more's rows survive the swap"
    fresh = panel.get(path, **values)
    assert panel.calls() == 1, "one organisation-wide sweep found the payment and brought the cached data up to date"
    assert "refreshing" not in text_of(fresh) and not FOLLOW_UP.search(fresh.get_data(as_text=True))
    assert "while cached" in fresh.get_data(as_text=True), "the payment the sweep found is shown"


def test_data_within_its_ttl_is_not_marked_and_asks_for_nothing(panel, opened):
    shown = panel.get("/panel/invoices", view="open")
    assert "refreshing" not in text_of(shown) and not FOLLOW_UP.search(shown.get_data(as_text=True))
    assert panel.calls() == 0


def test_a_follow_up_that_xero_refuses_shows_the_old_data_marked_without_asking_again(panel, opened, emulator, clock):
    clock.advance(61)
    path, values = follow_up_of(panel.get("/panel/invoices", view="open"))
    emulator.state.fail_next(3, kind="503")
    failed = panel.get(path, **values)
    body = text_of(failed)
    assert "Last updated" in body and not FOLLOW_UP.search(failed.get_data(as_text=True)), "no follow-up loop"


# --- Auto-refresh on change: a cheap poll against this app, never Xero -----------------------------


def deliver_event(panel, tenant_id: str, category: str, resource_id: str, event_type: str = "UPDATE") -> None:
    body = json.dumps({"events": [{
        "resourceUrl": "https://api.xero.com/", "resourceId": resource_id, "eventDateUtc": "2026-03-01T09:00:00.000",
        "eventType": event_type, "eventCategory": category, "tenantId": tenant_id, "tenantType": "ORGANISATION"}],
        "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "ABC"}).encode()
    answer = panel.client.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(body, WEBHOOK_KEY)})
    assert answer.status_code == 200


def change_poll_of(response) -> str:
    found = CHANGE_POLL.search(response.get_data(as_text=True))
    assert found, "an open panel polls /panel/changed every 3 s"
    return unescape(found.group(1))


@pytest.fixture
def webhooks_on(panel):
    panel.app.config["WEBHOOK_KEY"] = WEBHOOK_KEY


@pytest.mark.parametrize("change", ["invoice of this contact", "new invoice (organisation-wide)"])
def test_an_open_panel_polls_for_changes_and_refreshes_itself_when_told(
        panel, webhooks_on, opened, customer, connected, emulator, clock, change):
    shown = panel.get("/panel/invoices", view="open")
    poll = change_poll_of(shown)
    assert poll.startswith("/panel/changed?")
    listener, values = ON_CHANGE.search(shown.get_data(as_text=True)).groups()
    for _ in range(3):
        assert panel.client.get(poll).status_code == 204
    clock.advance(2)
    if change.startswith("invoice of"):
        invoice_id = an_open_invoice(emulator, connected, customer).invoice_id
        deliver_event(panel, connected["tenant_id"], "INVOICE", invoice_id)
    else:
        deliver_event(panel, connected["tenant_id"], "INVOICE", "99999999-9999-9999-9999-999999999999", "CREATE")
    told = panel.client.get(poll)
    assert told.status_code == 200 and told.headers["HX-Trigger"] == "xero-data-changed"
    assert panel.calls() == 0, "polling never asks Xero"
    refreshed = panel.get(unescape(listener), **json.loads(unescape(values)))
    assert panel.calls() == 1
    again = panel.client.get(change_poll_of(refreshed))
    assert again.status_code == 204, "the new render polls from its own fetch time"


def test_an_update_of_an_invoice_no_cached_customer_holds_does_not_disturb_an_open_panel(
        panel, webhooks_on, opened, connected):
    poll = change_poll_of(panel.get("/panel/invoices", view="open"))
    deliver_event(panel, connected["tenant_id"], "INVOICE", "99999999-9999-9999-9999-999999999999", "UPDATE")
    assert panel.client.get(poll).status_code == 204 and panel.calls() == 0


def test_the_panel_has_one_change_check_and_it_is_not_the_old_version_route(panel, opened):
    assert panel.get("/panel/version").status_code == 404
    assert len(CHANGE_POLL.findall(panel.get("/panel/invoices").get_data(as_text=True))) == 1


def test_a_panel_showing_a_problem_does_not_poll(panel, opened, emulator, clock):
    emulator.state.fail_next(3, kind="503")
    failed = panel.post("/panel/refresh")
    assert "Last updated" in text_of(failed) and not CHANGE_POLL.search(failed.get_data(as_text=True))


def test_a_reps_action_cancels_the_refresh_in_flight_but_the_change_poll_never_cancels_a_rep(panel, opened):
    # The follow-up that refreshes expired data answers late; a view picked meanwhile must not be undone by it,
    # so every request inside the panel replaces the one in flight, except the background change poll.
    html = opened.get_data(as_text=True)
    assert re.search(r'<main id="panel"[^>]*hx-sync="this:replace"', html)
    assert re.search(r'<div hidden data-change-poll[^>]*hx-sync="this:drop"', html)
