"""Injected failures for tests, demos and benchmarks: latency, 5xx, time-outs, malformed JSON, plain 404.

Waits use a `threading.Event`, not the clock: latency is real wall time even when the data clock is fixed,
and `reset()` releases every held request at once (so a test's time-outs never outlive the test).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("500", "503", "timeout", "malformed", "notfound")
TIMEOUT_HOLD_SECONDS = 60.0


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}: one of {', '.join(KINDS)}")
    return kind


@dataclass
class Faults:
    latency: float = 0.0
    next_failures: list[str] = field(default_factory=list)
    share: float = 0.0
    share_kind: str = "500"
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    release: threading.Event = field(default_factory=threading.Event)

    def fail_next(self, n: int, kind: str) -> None:
        self.next_failures.extend([check_kind(kind)] * n)

    def fail_share(self, share: float, kind: str) -> None:
        if not 0 <= share <= 1:
            raise ValueError("share is a fraction between 0 and 1")
        self.share, self.share_kind = share, check_kind(kind)

    def draw(self) -> str | None:
        """The failure for this call, if any (call under the state lock)."""
        if self.next_failures:
            return self.next_failures.pop(0)
        if self.share and self.rng.random() < self.share:
            return self.share_kind
        return None

    def reset(self) -> None:
        self.latency, self.share = 0.0, 0.0
        self.next_failures.clear()
        self.rng = random.Random(0)
        self.release.set()  # wake every held request
        self.release = threading.Event()

    def wait(self, seconds: float) -> None:
        """Hold the calling request for `seconds` of wall time, or until reset."""
        if seconds > 0:
            self.release.wait(seconds)
