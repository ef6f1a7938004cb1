"""The panel cache hit rate the admin diagnostics view shows, counted per organisation.

A neutral module (only plugin.cache below it), so the panel's invoice cache can count without importing the
admin package. The cache lookup in plugin.coalesce.SharedInvoices.load_invoices calls `record_cache_lookup`
on every lookup (Refresh, which skips the cache, is not one); it is cheap and never raises, so a metrics
hiccup cannot break a rep's panel. Counters live in the shared cache (Redis when configured), so every
worker adds to the same figures. Each worker counts in memory and adds its counts to the shared ones at
most once a second (or every 100 lookups): two Redis round trips on every warm render were a measurable
share of its cost, and a hit rate a second old is as useful. (The API budget shown beside it
comes from plugin.budget, which already keeps Xero's remaining counts.)
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app

from plugin.cache import cache
from plugin.extensions import get_clock

log = logging.getLogger(__name__)

_HITS = "admin:cache-hits:"
_MISSES = "admin:cache-misses:"
_KEEP = 7 * 24 * 3600
FLUSH_EVERY_SECONDS = 1.0
FLUSH_EVERY_LOOKUPS = 100


@dataclass
class _PendingCounts:
    """This worker's lookups not yet added to the shared counters (one per app)."""

    counts: Counter = field(default_factory=Counter)
    last_flush: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


def _pending() -> _PendingCounts:
    return current_app.extensions["plugin"].setdefault("metrics_pending", _PendingCounts())


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int

    @property
    def lookups(self) -> int:
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float | None:
        """Share of lookups answered from the cache; None before the first lookup."""
        return self.hits / self.lookups if self.lookups else None


def record_cache_lookup(tenant_id: str, *, hit: bool) -> None:
    """Count one panel-cache lookup for this organisation."""
    pending, now = _pending(), get_clock().monotonic()
    with pending.lock:
        pending.counts[(_HITS if hit else _MISSES) + tenant_id] += 1
        due = now - pending.last_flush >= FLUSH_EVERY_SECONDS or pending.counts.total() >= FLUSH_EVERY_LOOKUPS
    if due:
        flush_counts()


def flush_counts() -> None:
    """Add this worker's pending counts to the shared counters."""
    pending = _pending()
    with pending.lock:
        batch, pending.counts = pending.counts, Counter()
        pending.last_flush = get_clock().monotonic()
    try:
        for key, count in batch.items():
            # add() creates the counter with an expiry; inc() then bumps it (INCRBY on Redis).
            cache.add(key, 0, timeout=_KEEP)
            cache.cache.inc(key, count)  # the backend has inc; the Flask wrapper does not
    except Exception:  # metrics must never break the caller
        log.warning("could not count cache lookups", exc_info=True)


def cache_stats(tenant_id: str) -> CacheStats:
    if not tenant_id:
        return CacheStats(0, 0)
    flush_counts()
    return CacheStats(int(cache.get(_HITS + tenant_id) or 0), int(cache.get(_MISSES + tenant_id) or 0))


def reset_metrics(tenant_id: str) -> None:
    """Forget the figures of an organisation (after Remove)."""
    flush_counts()
    cache.delete_many(_HITS + tenant_id, _MISSES + tenant_id)
