"""Injected time, so that tests can say "today is 2026-03-01" without sleeping or patching."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""

    def today(self) -> date:
        """Today's calendar date in UTC."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, for measuring intervals."""

    def sleep(self, seconds: float) -> None:
        """Wait; a fixed clock advances instead."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class FixedClock:
    """A clock that only moves when told to; `sleep` moves it and records the wait."""

    current: datetime
    slept: list[float] = field(default_factory=list)

    @classmethod
    def at(cls, when: str | date | datetime) -> FixedClock:
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if not isinstance(when, datetime):
            when = datetime(when.year, when.month, when.day, 12, tzinfo=UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return cls(when.astimezone(UTC))

    def now(self) -> datetime:
        return self.current

    def today(self) -> date:
        return self.current.date()

    def monotonic(self) -> float:
        return self.current.timestamp()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float = 0, **kwargs: float) -> None:
        self.current += timedelta(seconds=seconds, **kwargs)
