"""Redis with a way out: `Failover` keeps a Redis-backed service (cache, budget, locks) working while Redis is
configured but unreachable, by falling back to its
in-process twin (cache, budget, locks) until Redis answers again, so the panel keeps calling Xero
within this worker's own budget instead of failing every request.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from plugin.domain.clock import Clock, SystemClock

T = TypeVar("T")

log = logging.getLogger(__name__)

# After Redis fails, this worker uses its in-process twin for this long before trying Redis again, so an
# outage costs one slow connection attempt per interval rather than one per call.
RETRY_REDIS_AFTER_SECONDS = 30.0


class Failover:
    """`primary` (Redis-backed) while Redis answers; `fallback` (in-process, same methods) while it does not.

    Methods named in `release_both` (idempotent releases of leases and locks) go to both, so a lease taken
    from one side is freed whichever side is current when its holder lets go.
    """

    def __init__(self, primary: Any, fallback: Any, *, what: str, release_both: tuple[str, ...] = (),
                 clock: Clock | None = None, retry_after: float = RETRY_REDIS_AFTER_SECONDS) -> None:
        self.primary = primary
        self.fallback = fallback
        self.what = what
        self.release_both = release_both
        self.clock = clock or SystemClock()  # real time: this is about the network, not the business date
        self.retry_after = retry_after
        self.down_until = 0.0

    @property
    def redis_down(self) -> bool:
        return self.clock.monotonic() < self.down_until

    def __getattr__(self, name: str) -> Any:
        chosen = getattr(self.primary, name)
        if not callable(chosen):
            return chosen

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in self.release_both:
                self._try_primary(name, args, kwargs)
                return getattr(self.fallback, name)(*args, **kwargs)
            if self.redis_down:
                return getattr(self.fallback, name)(*args, **kwargs)
            succeeded, result = self._try_primary(name, args, kwargs)
            return result if succeeded else getattr(self.fallback, name)(*args, **kwargs)

        return call

    def _try_primary(self, name: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
        if self.redis_down:
            return False, None
        try:
            result = getattr(self.primary, name)(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as error:
            self.down_until = self.clock.monotonic() + self.retry_after
            log.warning("Redis unreachable (%s); using this worker's own %s for the next %.0f s",
                        error, self.what, self.retry_after)
            return False, None
        if self.down_until:
            self.down_until = 0.0
            log.warning("Redis answers again; the %s is shared again", self.what)
        return True, result
