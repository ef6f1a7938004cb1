"""Freshness: expired data shown at once and revalidated by a follow-up request (stale-while-revalidate)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.panel.conftest import contact_record

FOLLOW_UP = re.compile(r'<div hidden data-refresh-follow-up hx-get="([^"]+)" hx-trigger="load"\s+hx-vals=\'([^\']+)\'')


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def customer(emulator, connected) -> dict:
    return emulator.state.customers(connected["tenant_id"])[4]


@pytest.fixture
def opened(panel, customer):
    response = panel.open(contact_record(customer))
    assert response.status_code == 200
    panel.emulator.state.reset_call_counts()
    return response


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
    assert panel.calls() == 1
    assert "refreshing" not in text_of(fresh) and not FOLLOW_UP.search(fresh.get_data(as_text=True))


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
