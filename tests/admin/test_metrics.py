"""The cache hit rate behind the diagnostics view."""

from __future__ import annotations

import pytest

from plugin.runtime import lookups as metrics
from plugin.runtime.cache import in_process
from plugin.runtime.invoices import InvoiceStore, SharedInvoices
from plugin.runtime.single_flight import LocalLocks, SingleFlight
from plugin.services import services


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_cache_hit_rate_counts_hits_and_misses_per_organisation(ctx):
    assert services().lookups.stats("t-1").hit_rate is None
    for hit in (True, True, True, False):
        services().lookups.record("t-1", hit=hit)
    services().lookups.record("t-2", hit=False)
    stats = services().lookups.stats("t-1")
    assert (stats.hits, stats.misses, stats.hit_rate) == (3, 1, 0.75)
    assert services().lookups.stats("t-2").hit_rate == 0


def test_removing_a_connection_forgets_its_figures(ctx):
    services().lookups.record("t-1", hit=True)
    services().lookups.reset("t-1")
    assert services().lookups.stats("t-1").lookups == 0


def test_a_worker_adds_its_lookups_to_the_shared_counters_at_most_once_a_second(ctx, clock):
    from plugin.services import services

    def shared_hits() -> int:
        return int(services().cache.get("admin:cache-hits:t-1") or 0)

    services().lookups.record("t-1", hit=True)
    assert shared_hits() == 1, "the first lookup is written at once"
    for _ in range(4):
        services().lookups.record("t-1", hit=True)
    assert shared_hits() == 1, "within the second, lookups are counted in the worker only"
    clock.advance(1)
    services().lookups.record("t-1", hit=True)
    assert shared_hits() == 6
    for _ in range(metrics.FLUSH_EVERY_LOOKUPS):
        services().lookups.record("t-1", hit=True)
    assert shared_hits() == 6 + metrics.FLUSH_EVERY_LOOKUPS, "a busy second is written once it has 100"


class _Xero:
    def invoices(self, *, contact_ids=(), page_size=100, on_unreadable=None):
        return []


def test_the_panels_invoice_cache_reports_each_lookup_as_a_hit_or_a_miss(clock):
    heard: list[tuple[str, bool]] = []
    store = InvoiceStore(cache=in_process(), clock=clock, client=_Xero, ttl=60)
    shared = SharedInvoices(store, flight=SingleFlight(LocalLocks()), clock=clock,
                            on_lookup=lambda tenant_id, *, hit: heard.append((tenant_id, hit)))
    shared.load_invoices("t-1", "c-1")  # cold
    shared.load_invoices("t-1", "c-1")  # warm
    shared.load_invoices("t-1", "c-1", force=True)  # Refresh skips the cache: not a lookup
    clock.advance(61)
    shared.load_invoices("t-1", "c-1")  # expired
    assert heard == [("t-1", False), ("t-1", True), ("t-1", False)]
