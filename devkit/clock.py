"""Time for the dev kit, injected so tests can fix it.

Any object with these methods will do, e.g. the product's `FixedClock`; the emulator's clock control
(`POST /_emulator/clock/advance`) also needs an `advance(seconds)` method.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""

    def today(self) -> date:
        """Today's calendar date in UTC."""


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()
