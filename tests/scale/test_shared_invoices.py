"""SharedInvoices over the panel's InvoiceStore: stale-while-revalidate, webhook changes, Refresh."""

from __future__ import annotations

import pytest

from plugin.runtime.changes import ChangeLog
from plugin.runtime.invoices import SharedInvoices
from plugin.runtime.single_flight import LocalLocks, SingleFlight

TENANT, CONTACT = "t-1", "c-1"


class Cache(dict):
    def get(self, key):  # type: ignore[override]
        return super().get(key)

    def set(self, key, value, timeout=None):
        self[key] = value
        return True

    def set_many(self, mapping, timeout=None):
        self.update(mapping)

    def get_many(self, *keys):
        return [super(Cache, self).get(key) for key in keys]

    def delete(self, key):
        return self.pop(key, None) is not None


class Invoice:
    def __init__(self, invoice_id: str) -> None:
        self.invoice_id = invoice_id


class FakeXero:
    def __init__(self) -> None:
        self.calls = 0

    def invoices(self, *, contact_ids=(), page_size=100, on_unreadable=None):
        self.calls += 1
        return [Invoice(f"inv-{self.calls}")]


@pytest.fixture
def parts(clock):
    from plugin.runtime.invoices import InvoiceStore

    cache, xero = Cache(), FakeXero()
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
