"""The cache hit rate behind the diagnostics view."""

from __future__ import annotations

import pytest

from plugin.admin import metrics


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_cache_hit_rate_counts_hits_and_misses_per_organisation(ctx):
    assert metrics.cache_stats("t-1").hit_rate is None
    for hit in (True, True, True, False):
        metrics.record_cache_lookup("t-1", hit=hit)
    metrics.record_cache_lookup("t-2", hit=False)
    stats = metrics.cache_stats("t-1")
    assert (stats.hits, stats.misses, stats.hit_rate) == (3, 1, 0.75)
    assert metrics.cache_stats("t-2").hit_rate == 0


def test_removing_a_connection_forgets_its_figures(ctx):
    metrics.record_cache_lookup("t-1", hit=True)
    metrics.reset_metrics("t-1")
    assert metrics.cache_stats("t-1").lookups == 0
