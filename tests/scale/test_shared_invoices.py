"""SharedInvoices over the panel's InvoiceStore: stale-while-revalidate, webhook changes, Refresh."""

from __future__ import annotations

import pytest

from plugin.runtime.cache import in_process
from plugin.runtime.changes import ChangeLog
from plugin.runtime.invoices import SharedInvoices
from plugin.runtime.single_flight import LocalLocks, SingleFlight
from tests.panel.builders import make_invoice

TENANT, CONTACT = "t-1", "c-1"


class FakeXero:
    def __init__(self) -> None:
        self.calls = 0

    def invoices(self, *, contact_ids=(), page_size=100, on_unreadable=None):
        self.calls += 1
        return [make_invoice(invoice_id=f"inv-{self.calls}")]


@pytest.fixture
def parts(clock):
    from plugin.runtime.invoices import InvoiceStore

    cache, xero = in_process(), FakeXero()
    changes = ChangeLog(cache, clock)
    store = InvoiceStore(cache=cache, clock=clock, client=lambda: xero, ttl=60)
    shared = SharedInvoices(store, flight=SingleFlight(LocalLocks()), clock=clock, changes=changes)
    return shared, xero, changes


def test_data_past_its_ttl_is_served_at_once_when_stale_is_acceptable(parts, clock):
    shared, xero, _ = parts
    first = shared.load_invoices(TENANT, CONTACT)
    clock.advance(61)
    served = shared.load_invoices(TENANT, CONTACT, stale_ok=True)
    assert served is first and not shared.is_current(served)
    assert xero.calls == 1
    revalidated = shared.load_invoices(TENANT, CONTACT)  # the follow-up request
    assert shared.is_current(revalidated) and xero.calls == 2


def test_a_webhook_change_makes_cached_data_not_current(parts, clock):
    shared, xero, changes = parts
    snapshot = shared.load_invoices(TENANT, CONTACT)
    clock.advance(1)
    changes.contact_changed(TENANT, changes.contact_of(TENANT, snapshot.invoices[0].invoice_id))
    assert not shared.is_current(snapshot)
    shared.load_invoices(TENANT, CONTACT)
    assert xero.calls == 2


def test_fetching_remembers_whose_invoices_they_are(parts):
    shared, _, changes = parts
    shared.load_invoices(TENANT, CONTACT)
    assert changes.contact_of(TENANT, "inv-1") == CONTACT


def test_refresh_always_asks_xero_and_warm_reads_never_do(parts):
    shared, xero, _ = parts
    shared.load_invoices(TENANT, CONTACT)
    for _ in range(5):
        shared.load_invoices(TENANT, CONTACT)
    assert xero.calls == 1
    shared.load_invoices(TENANT, CONTACT, force=True)
    assert xero.calls == 2
