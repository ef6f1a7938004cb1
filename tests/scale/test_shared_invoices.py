"""SharedInvoices over the panel's InvoiceStore: stale-while-revalidate, webhook changes, Refresh."""

from __future__ import annotations

from decimal import Decimal

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


def _webhook(changes, category: str, resource_id: str, tenant: str = TENANT) -> None:
    changes.apply([_event(category, resource_id, tenant)])


def _event(category: str, resource_id: str, tenant: str):
    import json

    from plugin.xero.webhooks import parse_events

    body = {"events": [{"resourceUrl": f"https://api.xero.com/api.xro/2.0/{category.title()}s/{resource_id}",
                        "resourceId": resource_id, "eventDateUtc": "2026-03-01T09:00:00.000", "eventType": "UPDATE",
                        "eventCategory": category, "tenantId": tenant, "tenantType": "ORGANISATION"}],
            "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "QWERTYUIOP"}
    return parse_events(json.dumps(body).encode())[0]


def test_with_webhooks_flowing_unchanged_data_stays_current_past_the_ttl(parts, clock):
    shared, xero, changes = parts
    snapshot = shared.load_invoices(TENANT, CONTACT)
    _webhook(changes, "CONTACT", "someone-else")  # a delivery for the organisation: webhooks are flowing
    clock.advance(10 * 60)
    assert shared.is_current(snapshot)
    assert shared.read(TENANT, CONTACT).current and xero.calls == 1


def test_with_webhooks_flowing_a_change_makes_data_stale_at_once(parts, clock):
    shared, xero, changes = parts
    snapshot = shared.load_invoices(TENANT, CONTACT)
    clock.advance(90)
    _webhook(changes, "INVOICE", snapshot.invoices[0].invoice_id)
    assert not shared.is_current(snapshot)
    shared.load_invoices(TENANT, CONTACT)
    assert xero.calls == 2


def test_webhooks_that_stopped_flowing_leave_the_ttl_in_charge(parts, clock):
    from plugin.runtime.changes import FLOWING_SECONDS

    shared, _, changes = parts
    _webhook(changes, "CONTACT", "someone-else")
    snapshot = shared.load_invoices(TENANT, CONTACT)
    clock.advance(FLOWING_SECONDS + 1)
    assert not shared.is_current(snapshot)


def test_even_with_webhooks_flowing_data_is_refetched_after_the_trust_limit(parts, clock):
    from plugin.runtime.changes import TRUST_SECONDS

    shared, _, changes = parts
    snapshot = shared.load_invoices(TENANT, CONTACT)
    clock.advance(TRUST_SECONDS + 1)
    _webhook(changes, "CONTACT", "someone-else")
    assert not shared.is_current(snapshot)


def test_webhooks_of_another_organisation_do_not_extend_freshness(parts, clock):
    shared, _, changes = parts
    snapshot = shared.load_invoices(TENANT, CONTACT)
    _webhook(changes, "CONTACT", "someone-else", tenant="t-2")
    clock.advance(61)
    assert not shared.is_current(snapshot)


# --- the organisation-wide If-Modified-Since sweep -------------------------------------------------------------


class SweepingXero:
    """Each contact's invoices, and the organisation's invoices modified since a time (one call per list)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.calls: list[str] = []
        self.modified: dict[str, object] = {}  # contact -> when its invoices last changed
        self.changed_invoice = None  # an invoice the next sweep lists as changed

    def invoices(self, *, contact_ids=(), page_size=100, on_unreadable=None, if_modified_since=None, order=None):
        if if_modified_since is None:
            self.calls.append(f"contact:{contact_ids[0]}")
            return [make_invoice(invoice_id=f"inv-{contact_ids[0]}-{len(self.calls)}", contact_id=contact_ids[0])]
        self.calls.append("sweep")
        found = [make_invoice(invoice_id=f"changed-{contact}", contact_id=contact)
                 for contact, when in self.modified.items() if when > if_modified_since]
        return found + ([self.changed_invoice] if self.changed_invoice is not None else [])


@pytest.fixture
def sweeping(clock):
    from plugin.runtime.invoices import InvoiceStore

    cache, xero = in_process(), SweepingXero(clock)
    changes = ChangeLog(cache, clock)
    store = InvoiceStore(cache=cache, clock=clock, client=lambda: xero, ttl=60)
    changes.drop = store.drop
    shared = SharedInvoices(store, flight=SingleFlight(LocalLocks()), clock=clock, changes=changes, sweeps=True)
    return shared, xero


def test_without_webhooks_one_sweep_revalidates_every_unchanged_contact_without_a_call_each(sweeping, clock):
    shared, xero = sweeping
    for contact in ("c-1", "c-2", "c-3"):
        shared.load_invoices(TENANT, contact)
    clock.advance(61)
    first = shared.read(TENANT, "c-1")  # past the TTL: one sweep finds nothing changed
    assert first.current and xero.calls[-1] == "sweep" and len(xero.calls) == 4
    assert first.confirmed_at == clock.now(), "'Updated' is the sweep's time, when the data was confirmed"
    for contact in ("c-2", "c-3"):  # the sweep confirmed them too
        assert shared.read(TENANT, contact).current
    assert len(xero.calls) == 4


def test_a_sweep_that_finds_a_change_puts_it_into_that_contacts_cached_data_without_a_call_of_its_own(
        sweeping, clock):
    shared, xero = sweeping
    for contact in ("c-1", "c-2"):
        shared.load_invoices(TENANT, contact)
    clock.advance(30)
    xero.modified["c-2"] = clock.now()
    clock.advance(31)
    assert shared.read(TENANT, "c-1").current
    assert xero.calls[-1] == "sweep"
    loaded = shared.read(TENANT, "c-2")
    assert xero.calls[-1] == "sweep" and len(xero.calls) == 3, "no fetch of c-2: the sweep brought its change"
    assert loaded.current and loaded.snapshot.fetched_at == clock.now()
    assert [invoice.invoice_id for invoice in loaded.snapshot.invoices] == ["inv-c-2-2", "changed-c-2"]


def test_a_sweep_replaces_a_changed_invoice_by_its_id(sweeping, clock):
    shared, xero = sweeping
    first = shared.load_invoices(TENANT, "c-1").invoices[0]
    clock.advance(61)
    xero.changed_invoice = make_invoice(invoice_id=first.invoice_id, contact_id="c-1", paid="99.00")
    loaded = shared.read(TENANT, "c-1")
    assert xero.calls[-1] == "sweep"
    assert [(invoice.invoice_id, invoice.amount_due.amount) for invoice in loaded.snapshot.invoices] == [
        (first.invoice_id, Decimal("1.00"))]


def test_a_contact_cached_before_what_the_sweep_covers_is_fetched_again(sweeping, clock):
    """The sweep lists changes since the previous sweep (or the last hour): older cached data can't be patched."""
    shared, xero = sweeping
    shared.load_invoices(TENANT, "c-old")
    clock.advance(2 * 3600)
    shared.load_invoices(TENANT, "c-new")
    xero.modified["c-old"] = clock.now()
    clock.advance(61)
    loaded = shared.read(TENANT, "c-old")
    assert xero.calls[-2:] == ["sweep", "contact:c-old"] and loaded.current


def test_data_past_its_ttl_with_no_sweep_since_is_shown_at_once_and_not_current(sweeping, clock):
    shared, xero = sweeping
    shared.load_invoices(TENANT, "c-1")
    clock.advance(61)
    loaded = shared.read(TENANT, "c-1", stale_ok=True)
    assert not loaded.current and len(xero.calls) == 1


def test_refresh_asks_xero_with_one_sweep_that_confirms_every_cached_contact(sweeping, clock):
    shared, xero = sweeping
    for contact in ("c-1", "c-2"):
        shared.load_invoices(TENANT, contact)
    clock.advance(20)
    clicked = clock.now()
    refreshed = shared.read(TENANT, "c-1", force=True)
    assert xero.calls[-1] == "sweep" and len(xero.calls) == 3, "Refresh asked Xero: one sweep, no fetch of c-1"
    assert refreshed.current and refreshed.confirmed_at >= clicked, "'Updated' says it was confirmed after the click"
    clock.advance(50)  # c-2 is 70 s old, but the Refresh's sweep confirmed it 50 s ago
    assert shared.read(TENANT, "c-2").current and len(xero.calls) == 3
    clock.advance(5)
    shared.read(TENANT, "c-1", force=True)
    assert xero.calls[-1] == "sweep" and len(xero.calls) == 4, "every Refresh asks Xero again"


def test_refresh_of_a_contact_the_sweep_cannot_vouch_for_fetches_it(sweeping, clock):
    shared, xero = sweeping
    shared.load_invoices(TENANT, "c-old")
    clock.advance(2 * 3600)  # older than the first sweep's look-back
    refreshed = shared.read(TENANT, "c-old", force=True)
    assert xero.calls[-1] == "contact:c-old" and refreshed.fetched


class ManyContactsXero:
    """Each contact's invoices by ContactIDs (several at once, as Xero takes them); one call per list."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []

    def invoices(self, *, contact_ids=(), page_size=100, on_unreadable=None, if_modified_since=None, order=None):
        self.asked.append(tuple(contact_ids))
        return [make_invoice(invoice_id=f"inv-{contact}-{len(self.asked)}", contact_id=contact)
                for contact in contact_ids]


def test_a_cold_fetch_brings_along_the_contacts_a_change_dropped_in_the_same_call(clock):
    from plugin.runtime.invoices import InvoiceStore

    cache, xero = in_process(), ManyContactsXero()
    changes = ChangeLog(cache, clock)
    store = InvoiceStore(cache=cache, clock=clock, client=lambda: xero, ttl=60)
    changes.drop = store.drop
    shared = SharedInvoices(store, flight=SingleFlight(LocalLocks()), clock=clock, changes=changes, sweeps=True)
    for contact in ("c-1", "c-2"):
        shared.load_invoices(TENANT, contact)
    clock.advance(5)
    changes.contact_changed(TENANT, "c-1")  # a webhook: c-1's cached data is dropped
    clock.advance(5)
    shared.read(TENANT, "c-new")  # a cold view of another customer
    assert xero.asked[-1] == ("c-new", "c-1"), "one call for both"
    again = shared.read(TENANT, "c-1")
    assert len(xero.asked) == 3 and again.current, "c-1's next view costs nothing"
    assert [invoice.invoice_id for invoice in again.snapshot.invoices] == ["inv-c-1-3"]
    assert changes.wanted(TENANT) == []
    shared.read(TENANT, "c-other")
    assert xero.asked[-1] == ("c-other",), "nothing is wanted any more"


def test_a_change_the_sweep_finds_on_data_fetched_at_its_own_instant_is_fetched_again_not_lost(sweeping, clock):
    """A fetch and a sweep at the same instant: which saw Xero later is unknown, so the contact is fetched again."""
    shared, xero = sweeping
    shared.load_invoices(TENANT, "c-1")
    xero.modified["c-1"] = clock.now()
    refreshed = shared.read(TENANT, "c-1", force=True)
    assert xero.calls == ["contact:c-1", "sweep", "contact:c-1"] and refreshed.fetched


def test_an_invoice_the_sweep_lists_under_another_contact_makes_its_old_contact_fetched_again(sweeping, clock):
    """Moved in Xero from c-1 to c-2: c-1's cached list still holds it, so c-1 is fetched again on its next view,
    and c-2's gets it from the sweep. Whom the sweep's invoices were cached with is read in one go."""
    shared, xero = sweeping
    moved = shared.load_invoices(TENANT, "c-1").invoices[0]
    shared.load_invoices(TENANT, "c-2")
    clock.advance(61)
    xero.changed_invoice = make_invoice(invoice_id=moved.invoice_id, contact_id="c-2")
    xero.modified.update({"c-3": clock.now(), "c-4": clock.now()})  # the sweep lists three invoices in all
    single: list[str] = []
    batched: list[tuple[str, ...]] = []
    store = shared.changes.store
    read_one = store.get
    store.get = lambda key: single.append(key) or read_one(key)

    def read_batch(*keys):
        batched.append(keys)
        return [read_one(key) for key in keys]  # in process, a batch is one lookup per key: not counted as single

    store.get_many = read_batch

    assert moved.invoice_id in [invoice.invoice_id for invoice in shared.read(TENANT, "c-2").snapshot.invoices]
    assert xero.calls[-1] == "sweep"
    owners = [keys for keys in batched if any(":invoice-contact:" in key for key in keys)]
    assert [len(keys) for keys in owners] == [3] and not [key for key in single if ":invoice-contact:" in key]
    refetched = shared.read(TENANT, "c-1")
    assert xero.calls[-1] == "contact:c-1" and refetched.current
