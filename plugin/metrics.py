"""The panel cache hit rate the admin diagnostics view shows, counted per organisation.

A neutral module (only plugin.cache below it), so the panel's invoice cache can count without importing the
admin package. The cache lookup in plugin.coalesce.SharedInvoices.load_invoices calls `record_cache_lookup`
on every lookup (Refresh, which skips the cache, is not one); it is cheap (one counter bump) and
never raises, so a metrics hiccup cannot break a rep's panel. Counters live in the shared cache
(Redis when configured), so every worker adds to the same figures. (The API budget shown beside it
comes from plugin.budget, which already keeps Xero's remaining counts.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from plugin.cache import cache

log = logging.getLogger(__name__)

_HITS = "admin:cache-hits:"
_MISSES = "admin:cache-misses:"
_KEEP = 7 * 24 * 3600


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
    key = (_HITS if hit else _MISSES) + tenant_id
    try:
        # add() creates the counter with an expiry; inc() then bumps it (INCR on Redis).
        cache.add(key, 0, timeout=_KEEP)
        cache.cache.inc(key)  # the backend has inc; the Flask wrapper does not
    except Exception:  # metrics must never break the caller
        log.warning("could not count a cache lookup", exc_info=True)


def cache_stats(tenant_id: str) -> CacheStats:
    if not tenant_id:
        return CacheStats(0, 0)
    return CacheStats(int(cache.get(_HITS + tenant_id) or 0), int(cache.get(_MISSES + tenant_id) or 0))


def reset_metrics(tenant_id: str) -> None:
    """Forget the figures of an organisation (after Remove)."""
    cache.delete_many(_HITS + tenant_id, _MISSES + tenant_id)
