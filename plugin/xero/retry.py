"""When to try a GET again, and how long to wait first. Pure functions; the client does the waiting."""

from __future__ import annotations

import random
from collections.abc import Callable

# Answers worth another try: Xero or something in front of it failed, and a GET is safe to repeat.
# 501 (not implemented) is left out: asking again will not change the answer.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})

BASE_DELAY = 0.25  # seconds before the first retry
MAX_DELAY = 2.0  # no single backoff is longer than this

Jitter = Callable[[float], float]


def equal_jitter(seconds: float) -> float:
    """Somewhere between half and all of `seconds`, so that workers that failed together spread out."""
    return seconds / 2 + random.uniform(0, seconds / 2)


def should_retry(status: int | None, attempt: int, max_retries: int) -> bool:
    """True when a GET that got `status` (None: connection error or time-out) deserves retry number `attempt + 1`.

    `attempt` counts the retries already made, so `max_retries=2` allows three calls in all.
    """
    if attempt >= max_retries:
        return False
    return status is None or status in RETRYABLE_STATUSES


def backoff(attempt: int, jitter: Jitter = equal_jitter, *, base: float = BASE_DELAY, cap: float = MAX_DELAY) -> float:
    """Seconds to wait before retry number `attempt + 1`: base doubled per attempt, capped, then jittered."""
    return jitter(min(cap, base * (2 ** max(0, attempt))))
