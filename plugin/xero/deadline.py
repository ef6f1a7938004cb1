"""How long one panel view may spend on Xero in all: a per-request deadline the client and the waits honour.

A cold view used to take up to 31 s when Xero was slow (XERO_TIMEOUT 10 s x three tries, plus backoff), and the
single-flight wait and the rate budget's wait for a slot came on top. The panel's views open a `Deadline` (8 s by
default) around each request; `XeroClient` sends each try with no more than the time left, retries only when the
retry fits, and raises `XeroSlow` once the time is spent; `SingleFlight` and the budget stop waiting then too. So
a rep is told plainly that Xero is slow within the deadline, whatever the retries and waits would have added up to.

The deadline rides in a context variable (one per request thread), so nothing between the view and the client has
to pass it along. Without one, nothing changes: the client's own timeout and retries apply.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from plugin.domain.clock import Clock, SystemClock
from plugin.domain.text import N_
from plugin.xero.errors import XeroUnavailable

# Less than this left is not worth a request: it could not come back in time.
TOO_LITTLE = 0.05


class XeroSlow(XeroUnavailable):
    """Xero did not answer within the view's deadline (time-outs, slow answers, waits for other slow calls)."""

    user_message = N_("Xero is slow to answer right now, so the panel stopped waiting. Try again in a moment.")


class Deadline:
    """An instant on `clock`'s monotonic time by which the work must be done."""

    def __init__(self, seconds: float, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.seconds = seconds
        self.at = self.clock.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - self.clock.monotonic()

    def expired(self) -> bool:
        return self.remaining() < TOO_LITTLE


_current: ContextVar[Deadline | None] = ContextVar("xero_deadline", default=None)


def current() -> Deadline | None:
    return _current.get()


def bounded(seconds: float) -> float:
    """`seconds`, or less when the current deadline comes sooner (never below 0)."""
    deadline = _current.get()
    return seconds if deadline is None else max(0.0, min(seconds, deadline.remaining()))


def check(what: str) -> None:
    """Raise XeroSlow when the current deadline has passed."""
    deadline = _current.get()
    if deadline is not None and deadline.expired():
        raise XeroSlow(f"{what}: gave up after the view's {deadline.seconds:g}s deadline")


@contextlib.contextmanager
def within(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Make `deadline` the current one for the block (None: no deadline)."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def start(deadline: Deadline | None):  # type: ignore[no-untyped-def]
    """Set the current deadline until `finish(token)` (for before/teardown request hooks)."""
    return _current.set(deadline)


def finish(token) -> None:  # type: ignore[no-untyped-def]
    _current.reset(token)
