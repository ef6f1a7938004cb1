"""A member can pin only invoices of the record's customer (the ids in the cached snapshot of the matched
contact), at most MAX_PINS per record; anything else is refused with a clear message and nothing is stored."""

from __future__ import annotations

import pytest

from plugin.panel.loader import MAX_PINS
from plugin.storage import RecordKey, get_database
from tests.panel.test_views import cached_invoices
from tests.security.conftest import contact_record, text_of


@pytest.fixture
def rep(panel, customer):
    panel.open(contact_record(customer))
    return panel


def pins_of(rep, customer, connected) -> list[str]:
    record = contact_record(customer)
    pins = get_database(rep.app).pins.for_record("acct-1", RecordKey(record["type"], record["id"]),
                                                 connected["tenant_id"])
    return [pin.invoice_id for pin in pins]


def test_an_invoice_of_this_customer_can_be_pinned(rep, customer, connected):
    invoice = cached_invoices(rep, connected["tenant_id"], customer["contact_id"])[0]
    assert rep.post(f"/panel/pins/{invoice.invoice_id}", pinned="true").status_code == 200
    assert pins_of(rep, customer, connected) == [invoice.invoice_id]


@pytest.mark.parametrize("invoice_id", ["does-not-exist", "x" * 64])
def test_an_invoice_id_that_is_not_this_customers_is_refused_in_plain_words(rep, customer, connected, invoice_id):
    response = rep.post(f"/panel/pins/{invoice_id}", pinned="true")
    assert response.status_code == 200
    assert "isn't one of this customer's invoices" in text_of(response)
    assert pins_of(rep, customer, connected) == []


def test_another_customers_invoice_is_refused(rep, emulator, customer, connected):
    others = emulator.state.customers(connected["tenant_id"])
    other = next(entry for entry in others if entry["contact_id"] != customer["contact_id"])
    stranger = rep.__class__(rep.app, rep.clock, rep.emulator)
    stranger.open(contact_record(other))
    foreign = cached_invoices(rep, connected["tenant_id"], other["contact_id"])[0]
    response = rep.post(f"/panel/pins/{foreign.invoice_id}", pinned="true")
    assert "isn't one of this customer's invoices" in text_of(response)
    assert pins_of(rep, customer, connected) == []


def test_a_record_holds_at_most_max_pins(rep, customer, connected, monkeypatch):
    from plugin.panel import loader

    invoices = cached_invoices(rep, connected["tenant_id"], customer["contact_id"])
    assert len(invoices) >= 3
    monkeypatch.setattr(loader, "MAX_PINS", 2)
    for invoice in invoices[:2]:
        rep.post(f"/panel/pins/{invoice.invoice_id}", pinned="true")
    response = rep.post(f"/panel/pins/{invoices[2].invoice_id}", pinned="true")
    assert "the most a record can hold" in text_of(response)
    assert sorted(pins_of(rep, customer, connected)) == sorted(invoice.invoice_id for invoice in invoices[:2])
    rep.post(f"/panel/pins/{invoices[0].invoice_id}", pinned="false")  # unpinning is always allowed
    assert pins_of(rep, customer, connected) == [invoices[1].invoice_id]
    assert MAX_PINS == 200
