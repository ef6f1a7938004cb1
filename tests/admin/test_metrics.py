"""The figures behind the diagnostics view: Xero's last reported budget and the cache hit rate."""

from __future__ import annotations

import pytest

from plugin.admin import metrics
from plugin.xero.models import RateLimitStatus


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_the_last_budget_xero_reported_is_kept_per_organisation(ctx, clock):
    metrics.record_limits("t-1", RateLimitStatus(minute_remaining=58, day_remaining=4990), clock=clock)
    seen = metrics.last_limits("t-1")
    assert seen.status.minute_remaining == 58 and seen.status.day_remaining == 4990
    assert seen.seen_at == clock.now()
    assert metrics.last_limits("t-2") is None


def test_an_answer_without_limit_headers_does_not_erase_the_last_budget(ctx, clock):
    metrics.record_limits("t-1", RateLimitStatus(minute_remaining=12), clock=clock)
    metrics.record_limits("t-1", RateLimitStatus(), clock=clock)
    assert metrics.last_limits("t-1").status.minute_remaining == 12


def test_cache_hit_rate_counts_hits_and_misses_per_organisation(ctx):
    assert metrics.cache_stats("t-1").hit_rate is None
    for hit in (True, True, True, False):
        metrics.record_cache_lookup("t-1", hit=hit)
    metrics.record_cache_lookup("t-2", hit=False)
    stats = metrics.cache_stats("t-1")
    assert (stats.hits, stats.misses, stats.hit_rate) == (3, 1, 0.75)
    assert metrics.cache_stats("t-2").hit_rate == 0


def test_removing_a_connection_forgets_its_figures(ctx, clock):
    metrics.record_cache_lookup("t-1", hit=True)
    metrics.record_limits("t-1", RateLimitStatus(day_remaining=1), clock=clock)
    metrics.reset_metrics("t-1")
    assert metrics.cache_stats("t-1").lookups == 0
    assert metrics.last_limits("t-1") is None
