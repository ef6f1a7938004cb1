"""Figures the diagnostics view shows: Xero's last reported API budget and the panel cache hit rate.

Other parts call the two `record_*` functions; they are cheap (one cache write) and never raise,
so a metrics hiccup cannot break a rep's panel. Figures live in the shared cache (Redis when
configured), so every worker adds to the same counters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from plugin.cache import cache
from plugin.clock import Clock
from plugin.xero.models import RateLimitStatus

log = logging.getLogger(__name__)

_LIMITS = "admin:limits:"
_HITS = "admin:cache-hits:"
_MISSES = "admin:cache-misses:"
_KEEP = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class SeenLimits:
    status: RateLimitStatus
    seen_at: datetime


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


def record_limits(tenant_id: str, status: RateLimitStatus, *, clock: Clock) -> None:
    """Keep what Xero's X-*-Remaining headers said last for this organisation (XeroClient's on_limits).

    A status with no figures (no answer was read) never replaces a real one."""
    if status == RateLimitStatus():
        return
    try:
        cache.set(_LIMITS + tenant_id, {"status": status, "seen_at": clock.now()}, timeout=_KEEP)
    except Exception:  # metrics must never break the caller
        log.warning("could not store the rate-limit status", exc_info=True)


def last_limits(tenant_id: str) -> SeenLimits | None:
    stored = cache.get(_LIMITS + tenant_id) if tenant_id else None
    return SeenLimits(stored["status"], stored["seen_at"]) if stored else None


def record_cache_lookup(tenant_id: str, *, hit: bool) -> None:
    """Count one panel-cache lookup for this organisation."""
    key = (_HITS if hit else _MISSES) + tenant_id
    try:
        # add() creates the counter with an expiry; inc() then bumps it (INCR on Redis).
        cache.add(key, 0, timeout=_KEEP)
        cache.cache.inc(key)  # the backend has inc (INCR on Redis); the Flask wrapper does not
    except Exception:  # metrics must never break the caller
        log.warning("could not count a cache lookup", exc_info=True)


def cache_stats(tenant_id: str) -> CacheStats:
    if not tenant_id:
        return CacheStats(0, 0)
    return CacheStats(int(cache.get(_HITS + tenant_id) or 0), int(cache.get(_MISSES + tenant_id) or 0))


def reset_metrics(tenant_id: str) -> None:
    """Forget the figures of an organisation (after Remove)."""
    cache.delete_many(_LIMITS + tenant_id, _HITS + tenant_id, _MISSES + tenant_id)
