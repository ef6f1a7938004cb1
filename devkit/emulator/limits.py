"""Xero's API limits: per organisation 5 calls in flight, 60 a minute, 5000 a day; per app 10,000 a minute.

Windows are fixed and start at the first call (so they reset at different times per tenant, as Xero's do).
Time comes from the emulator's clock, so tests move through a minute or a day without waiting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

CONCURRENT_LIMIT = 5
MINUTE_LIMIT = 60
DAY_LIMIT = 5000
APP_MINUTE_LIMIT = 10_000


@dataclass
class Window:
    length: timedelta
    limit: int
    started: datetime | None = None
    used: int = 0

    def roll(self, now: datetime) -> None:
        if self.started is None or now >= self.started + self.length:
            self.started, self.used = now, 0

    def remaining(self, now: datetime) -> int:
        self.roll(now)
        return max(0, self.limit - self.used)

    def retry_after(self, now: datetime) -> int:
        assert self.started is not None
        return max(1, math.ceil((self.started + self.length - now).total_seconds()))

    def exhaust(self, now: datetime) -> None:
        self.roll(now)
        self.used = self.limit


@dataclass
class TenantLimits:
    minute: Window = field(default_factory=lambda: Window(timedelta(minutes=1), MINUTE_LIMIT))
    day: Window = field(default_factory=lambda: Window(timedelta(days=1), DAY_LIMIT))
    in_flight: int = 0
    held_slots: int = 0  # slots taken by exhaust_limit(..., "concurrent") until reset


@dataclass(frozen=True)
class Refusal:
    problem: str  # value of X-Rate-Limit-Problem
    retry_after: int


class Limits:
    """Not thread-safe by itself: EmulatorState calls it under its lock."""

    def __init__(self) -> None:
        self.tenants: dict[str, TenantLimits] = {}
        self.app_minute = Window(timedelta(minutes=1), APP_MINUTE_LIMIT)

    def _of(self, tenant_id: str) -> TenantLimits:
        return self.tenants.setdefault(tenant_id, TenantLimits())

    def acquire(self, tenant_id: str | None, now: datetime) -> Refusal | None:
        """Count one call, or say which limit refuses it. A refused call does not count."""
        if self.app_minute.remaining(now) <= 0:
            return Refusal("appminute", self.app_minute.retry_after(now))
        if tenant_id is not None:
            limits = self._of(tenant_id)
            if limits.in_flight + limits.held_slots >= CONCURRENT_LIMIT:
                return Refusal("concurrent", 1)
            if limits.day.remaining(now) <= 0:
                return Refusal("day", limits.day.retry_after(now))
            if limits.minute.remaining(now) <= 0:
                return Refusal("minute", limits.minute.retry_after(now))
            limits.minute.used += 1
            limits.day.used += 1
            limits.in_flight += 1
        self.app_minute.used += 1
        return None

    def release(self, tenant_id: str | None) -> None:
        if tenant_id is not None:
            limits = self._of(tenant_id)
            limits.in_flight = max(0, limits.in_flight - 1)

    def headers(self, tenant_id: str | None, now: datetime) -> dict[str, str]:
        headers = {"X-AppMinLimit-Remaining": str(self.app_minute.remaining(now))}
        if tenant_id is not None:
            limits = self._of(tenant_id)
            headers["X-MinLimit-Remaining"] = str(limits.minute.remaining(now))
            headers["X-DayLimit-Remaining"] = str(limits.day.remaining(now))
        return headers

    def exhaust(self, tenant_id: str | None, which: str, now: datetime) -> None:
        if which == "app":
            self.app_minute.exhaust(now)
            return
        if tenant_id is None:
            raise ValueError(f"limit {which!r} needs a tenant id")
        limits = self._of(tenant_id)
        if which == "minute":
            limits.minute.exhaust(now)
        elif which == "day":
            limits.day.exhaust(now)
        elif which == "concurrent":
            limits.held_slots = CONCURRENT_LIMIT
        else:
            raise ValueError(f"unknown limit {which!r}: minute, day, concurrent or app")

    def reset(self) -> None:
        """Fresh windows everywhere; calls still in flight keep their slots."""
        for limits in self.tenants.values():
            limits.minute = Window(timedelta(minutes=1), MINUTE_LIMIT)
            limits.day = Window(timedelta(days=1), DAY_LIMIT)
            limits.held_slots = 0
        self.app_minute = Window(timedelta(minutes=1), APP_MINUTE_LIMIT)
