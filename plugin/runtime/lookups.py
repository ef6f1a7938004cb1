"""The panel cache hit rate the admin diagnostics view shows, counted per organisation.

`SharedInvoices.load_invoices` (plugin.runtime.invoices) reports every cache lookup here (Refresh, which skips
the cache, is not one); recording is cheap and never raises, so a counting hiccup cannot break a rep's panel.
Counters live in the shared cache (Redis when configured), so every worker adds to the same figures. Each
worker counts in memory and adds its counts to the shared ones at most once a second (or every 100 lookups):
two Redis round trips on every warm render were a measurable share of its cost, and a hit rate a second old
is as useful. (The API budget shown beside it comes from plugin.runtime.budget.)
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from plugin.domain.clock import Clock
from plugin.runtime import metrics

log = logging.getLogger(__name__)

_HITS = "admin:cache-hits:"
_MISSES = "admin:cache-misses:"
_KEEP = 7 * 24 * 3600
FLUSH_EVERY_SECONDS = 1.0
FLUSH_EVERY_LOOKUPS = 100


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


class LookupCounts:
    """Cache hits and misses per organisation, in the shared cache `store` (Flask-Caching)."""

    def __init__(self, store: Any, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._pending: Counter = Counter()  # this worker's lookups not yet added to the shared counters
        self._last_flush = float("-inf")
        self._lock = threading.Lock()

    def record(self, tenant_id: str, *, hit: bool) -> None:
        """Count one panel-cache lookup for this organisation (and in the app's metrics, for all of them)."""
        metrics.cache_lookup(hit=hit)
        now = self.clock.monotonic()
        with self._lock:
            self._pending[(_HITS if hit else _MISSES) + tenant_id] += 1
            due = now - self._last_flush >= FLUSH_EVERY_SECONDS or self._pending.total() >= FLUSH_EVERY_LOOKUPS
        if due:
            self.flush()

    def flush(self) -> None:
        """Add this worker's pending counts to the shared counters."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
            self._last_flush = self.clock.monotonic()
        try:
            for key, count in batch.items():
                # add() creates the counter with an expiry; inc() then bumps it (INCRBY on Redis).
                self.store.add(key, 0, timeout=_KEEP)
                self.store.cache.inc(key, count)  # the backend has inc; the Flask wrapper does not
        except Exception:  # counting must never break the caller
            log.warning("could not count cache lookups", exc_info=True)

    def stats(self, tenant_id: str) -> CacheStats:
        if not tenant_id:
            return CacheStats(0, 0)
        self.flush()
        return CacheStats(int(self.store.get(_HITS + tenant_id) or 0), int(self.store.get(_MISSES + tenant_id) or 0))

    def reset(self, tenant_id: str) -> None:
        """Forget the figures of an organisation (after Remove)."""
        self.flush()
        self.store.delete_many(_HITS + tenant_id, _MISSES + tenant_id)
