"""Per-organisation Xero rate budget, shared by every worker and host that shares a store.

Xero allows each organisation 5 calls in flight, 60 a minute and 5000 a day. `RateBudget.slot(tenant)`
is entered around every HTTP call (the Xero client's `gate`): it takes a slot or raises
`RateLimited(retry_after, problem)` without calling Xero, so the panel can serve what it has.
`RateBudget.observe(tenant, status)` (the client's `on_limits`) pulls our count up to what Xero's
X-MinLimit-Remaining / X-DayLimit-Remaining headers say, so calls made elsewhere (another app
instance, a restart) are counted too.

Metrics (plugin.runtime.metrics): what Xero says is left per organisation, waits for an in-flight slot,
and refusals (the budget left is then 0 for the refused window).

The day: Xero's daily window resets at a time of its own per organisation, not at midnight UTC. After Xero
refuses a call with `day`, no call goes to Xero before its Retry-After; when our count (or Xero's header) says
today's allowance is spent, one call, a probe, may ask Xero every DAY_PROBE_SECONDS, and its answer's
X-DayLimit-Remaining brings our count back down when the allowance is back. Refusals say when the next try is.

Fair shares: calls a rep makes by choice (Refresh, the contact search when linking) run inside
`RateBudget.share(user)`. Such a call draws on that rep's share of the minute (USER_SHARE_PER_MINUTE calls in any
sliding minute) and may not take the last SHARE_RESERVE calls of the organisation's minute, which stay for views
(a never-seen record's cold view, revalidation). So one rep's clicks or searches never leave the others "busy".

Two stores hold the counts behind one interface: `LocalBudgetStore` (threads of one process) and
`RedisBudgetStore` (atomic Lua scripts; every key has a TTL). Both pass the same contract tests.
Windows: the minute is sliding (a log of call times), because Xero's fixed window starts at an
instant we don't know; the day is counted per UTC date and corrected from Xero's header.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from plugin.domain.clock import Clock
from plugin.domain.models import RateLimitStatus
from plugin.runtime import metrics
from plugin.xero import deadline
from plugin.xero.deadline import XeroSlow
from plugin.xero.errors import RateLimited

MINUTE = 60.0
# A slot whose holder died (killed worker) is freed after this long: longer than any call with retries.
LEASE_SECONDS = 60.0
# Today's allowance spent by our count or Xero's header (without a Retry-After): one call asks Xero this often.
DAY_PROBE_SECONDS = 600.0
_UNLIMITED = 2**31
USER_SHARE_PER_MINUTE = 6  # a rep's own calls (Refresh, contact searches) in any sliding minute
SHARE_RESERVE = 20  # of the organisation's minute, never taken by a rep's own calls: views keep room

# Whose share the current call draws on ("": a view's call, not any one rep's).
_share: ContextVar[str] = ContextVar("budget_share", default="")

# The organisation whose day-limit probe the current call is (its answer may say the allowance is back).
_probing: ContextVar[str] = ContextVar("budget_day_probe", default="")


@dataclass(frozen=True, slots=True)
class Limits:
    concurrent: int = 5
    per_minute: int = 60
    per_day: int = 5000
    per_share: int = USER_SHARE_PER_MINUTE
    share_reserve: int = SHARE_RESERVE


XERO_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a slot was refused: `problem` is Xero's word for the limit (concurrent, minute, day)."""

    problem: str
    retry_after: float


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    in_flight: int
    minute_used: int
    day_used: int
    limits: Limits = XERO_LIMITS

    @property
    def minute_remaining(self) -> int:
        return max(0, self.limits.per_minute - self.minute_used)

    @property
    def day_remaining(self) -> int:
        return max(0, self.limits.per_day - self.day_used)


class BudgetStore(Protocol):
    """Counts per organisation. `now` is POSIX seconds; `day` names the UTC date being counted."""

    def try_acquire(self, tenant_id: str, lease: str, *, now: float, day: str, limits: Limits,
                    share: str = "") -> Refusal | None:
        """`share` non-empty: the call is that rep's own (limits.per_share a minute, not the last
        limits.share_reserve of the organisation's minute)."""

    def release(self, tenant_id: str, lease: str) -> None: ...

    def raise_floor(
        self, tenant_id: str, *, now: float, day: str, minute_used: int | None, day_used: int | None
    ) -> None:
        """Make the counts at least these (Xero's headers say that many were used)."""

    def usage(self, tenant_id: str, *, now: float, day: str) -> BudgetUsage: ...

    def hold_probes(self, tenant_id: str, *, now: float, seconds: float, exact: bool = False) -> None:
        """No day-limit probe before now + seconds (`exact`: exactly then, as Xero's Retry-After says; else at
        least then)."""

    def try_probe(self, tenant_id: str, *, now: float, seconds: float) -> float:
        """0 when a probe may go now (the next one then waits `seconds`), else the seconds until one may."""

    def lower_day(self, tenant_id: str, *, now: float, day: str, day_used: int) -> None:
        """Xero says fewer calls were used today than we counted (its window reset): take its figure."""


class RateBudget:
    """The budget one app uses for all organisations. `wait_for_slot`: how long a call may wait for a
    concurrent slot to free up (a call takes well under a second) before giving up."""

    def __init__(
        self,
        store: BudgetStore,
        *,
        clock: Clock,
        limits: Limits = XERO_LIMITS,
        wait_for_slot: float = 3.0,
        poll: float = 0.05,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.wait_for_slot = wait_for_slot
        self.poll = poll

    @contextlib.contextmanager
    def share(self, user: str) -> Iterator[None]:
        """Calls to Xero inside this block are `user`'s own (Refresh, a contact search): they draw on that user's
        share of the minute and leave the organisation's reserve to views."""
        token = _share.set(user)
        try:
            yield
        finally:
            _share.reset(token)

    @contextlib.contextmanager
    def slot(self, tenant_id: str) -> Iterator[None]:
        lease = uuid.uuid4().hex
        probe = self._acquire(tenant_id, lease)
        token = _probing.set(tenant_id if probe else "")
        metrics.in_flight(tenant_id, 1)
        try:
            yield
        finally:
            metrics.in_flight(tenant_id, -1)
            _probing.reset(token)
            self.store.release(tenant_id, lease)

    def gate(self, tenant_id: str) -> Callable[[], contextlib.AbstractContextManager[None]]:
        """The XeroClient `gate` for one organisation."""
        return lambda: self.slot(tenant_id)

    def observe(self, tenant_id: str, status: RateLimitStatus) -> None:
        """XeroClient `on_limits`: Xero's remaining counts become a floor under ours."""
        if status.minute_remaining is not None:
            metrics.budget_remaining(tenant_id, "minute", status.minute_remaining)
        if status.day_remaining is not None:
            metrics.budget_remaining(tenant_id, "day", status.day_remaining)
        minute_used = None if status.minute_remaining is None else self.limits.per_minute - status.minute_remaining
        day_used = None if status.day_remaining is None else self.limits.per_day - status.day_remaining
        now = self.clock.now()
        if status.refused == "day":  # Xero's own word on when its daily window lets calls through again
            day_used = self.limits.per_day
            wait = status.retry_after if status.retry_after is not None else DAY_PROBE_SECONDS
            self.store.hold_probes(tenant_id, now=now.timestamp(), seconds=wait, exact=status.retry_after is not None)
        elif status.day_remaining == 0:
            self.store.hold_probes(tenant_id, now=now.timestamp(), seconds=DAY_PROBE_SECONDS)
        elif status.day_remaining is not None and _probing.get() == tenant_id:
            # A probe's answer: the allowance is back (Xero's window reset), so our count comes down to Xero's.
            self.store.lower_day(tenant_id, now=now.timestamp(), day=_day(now), day_used=day_used or 0)
        if minute_used is None and day_used is None:
            return
        self.store.raise_floor(tenant_id, now=now.timestamp(), day=_day(now), minute_used=minute_used,
                               day_used=day_used)

    def on_limits(self, tenant_id: str) -> Callable[[RateLimitStatus], None]:
        return lambda status: self.observe(tenant_id, status)

    def usage(self, tenant_id: str) -> BudgetUsage:
        now = self.clock.now()
        return self.store.usage(tenant_id, now=now.timestamp(), day=_day(now))

    def _acquire(self, tenant_id: str, lease: str) -> bool:
        """Take a slot or raise RateLimited; True when this call is a probe of a spent daily allowance."""
        waited = 0.0
        while True:
            now = self.clock.now()
            share = _share.get()
            refusal = self.store.try_acquire(tenant_id, lease, now=now.timestamp(), day=_day(now), limits=self.limits,
                                             share=share)
            probe = False
            if refusal is not None and refusal.problem == "day":
                next_probe = self.store.try_probe(tenant_id, now=now.timestamp(), seconds=DAY_PROBE_SECONDS)
                if next_probe <= 0:  # this call asks Xero whether the allowance is back
                    probe = True
                    refusal = self.store.try_acquire(tenant_id, lease, now=now.timestamp(), day=_day(now),
                                                     limits=replace(self.limits, per_day=_UNLIMITED), share=share)
                else:
                    refusal = Refusal("day", next_probe)
            if refusal is None:
                if waited:
                    metrics.budget_waited(waited, got_slot=True)
                return probe
            # Only a full set of in-flight slots is worth waiting for; minute and day limits last too long.
            out_of_time = deadline.bounded(self.poll) < self.poll  # the view's deadline comes first
            if refusal.problem != "concurrent" or waited >= self.wait_for_slot or out_of_time:
                if waited:
                    metrics.budget_waited(waited, got_slot=False)
                metrics.budget_refused(refusal.problem)
                if refusal.problem == "concurrent" and waited:
                    # Our own calls hold every slot and none came back while we waited: Xero is slow, not busy.
                    raise SlotsHeldBySlowCalls(max(1, round(refusal.retry_after)), "concurrent",
                                               f"no free Xero slot for this organisation after {waited:.1f}s")
                if refusal.problem in ("minute", "day"):
                    metrics.budget_remaining(tenant_id, refusal.problem, 0)
                raise BudgetRefused(max(1, round(refusal.retry_after)), refusal.problem,
                                    f"panel budget spent for this organisation ({refusal.problem})")
            self.clock.sleep(self.poll)
            waited += self.poll


class BudgetRefused(RateLimited):
    """Our own budget refused the call without asking Xero (its `retry_after` is our estimate, or Xero's earlier
    Retry-After for the day)."""


class SlotsHeldBySlowCalls(BudgetRefused):
    """Our own calls to this organisation hold all its in-flight slots and none came back while we waited: the
    true cause is a slow Xero, so the rep is told that (not "Xero is busy")."""

    @property
    def user_message(self) -> str:  # type: ignore[override]
        return XeroSlow.user_message


def _day(now: datetime) -> str:
    return now.date().isoformat()


# --- in-process store -------------------------------------------------------------------------


@dataclass
class _Counts:
    leases: dict[str, float] = field(default_factory=dict)  # lease -> expires at
    calls: deque[float] = field(default_factory=deque)  # start times within the last minute
    day: str = ""
    day_used: int = 0
    shares: dict[str, deque[float]] = field(default_factory=dict)  # rep -> start times of their own calls


class LocalBudgetStore:
    """Counts in this process only: right for one worker (the embedded default) and for tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[str, _Counts] = {}
        self._next_probe: dict[str, float] = {}

    def hold_probes(self, tenant_id: str, *, now: float, seconds: float, exact: bool = False) -> None:
        with self._lock:
            until = now + seconds
            self._next_probe[tenant_id] = until if exact else max(until, self._next_probe.get(tenant_id, 0.0))

    def try_probe(self, tenant_id: str, *, now: float, seconds: float) -> float:
        with self._lock:
            next_probe = self._next_probe.get(tenant_id, 0.0)
            if next_probe > now:
                return next_probe - now
            self._next_probe[tenant_id] = now + seconds
            return 0.0

    def lower_day(self, tenant_id: str, *, now: float, day: str, day_used: int) -> None:
        with self._lock:
            counts = self._current(tenant_id, now, day)
            counts.day_used = min(counts.day_used, day_used)

    def try_acquire(self, tenant_id: str, lease: str, *, now: float, day: str, limits: Limits,
                    share: str = "") -> Refusal | None:
        with self._lock:
            counts = self._current(tenant_id, now, day)
            if counts.day_used >= limits.per_day:
                return Refusal("day", 0)
            minute_limit = max(0, limits.per_minute - limits.share_reserve) if share else limits.per_minute
            if len(counts.calls) >= minute_limit:
                oldest = counts.calls[len(counts.calls) - minute_limit] if minute_limit else now
                return Refusal("minute", oldest + MINUTE - now)
            own = counts.shares.get(share) if share else None
            if own is not None:
                while own and own[0] <= now - MINUTE:
                    own.popleft()
                if len(own) >= limits.per_share:
                    return Refusal("minute", own[0] + MINUTE - now)
            if len(counts.leases) >= limits.concurrent:
                return Refusal("concurrent", 1)
            counts.leases[lease] = now + LEASE_SECONDS
            counts.calls.append(now)
            counts.day_used += 1
            if share:
                counts.shares.setdefault(share, deque()).append(now)
            return None

    def release(self, tenant_id: str, lease: str) -> None:
        with self._lock:
            self._tenants.get(tenant_id, _Counts()).leases.pop(lease, None)

    def raise_floor(
        self, tenant_id: str, *, now: float, day: str, minute_used: int | None, day_used: int | None
    ) -> None:
        with self._lock:
            counts = self._current(tenant_id, now, day)
            while minute_used is not None and len(counts.calls) < minute_used:
                counts.calls.append(now)
            if day_used is not None:
                counts.day_used = max(counts.day_used, day_used)

    def usage(self, tenant_id: str, *, now: float, day: str) -> BudgetUsage:
        with self._lock:
            counts = self._current(tenant_id, now, day)
            return BudgetUsage(len(counts.leases), len(counts.calls), counts.day_used)

    def _current(self, tenant_id: str, now: float, day: str) -> _Counts:
        counts = self._tenants.setdefault(tenant_id, _Counts())
        for lease, expires in list(counts.leases.items()):
            if expires <= now:
                del counts.leases[lease]
        while counts.calls and counts.calls[0] <= now - MINUTE:
            counts.calls.popleft()
        for user, own in list(counts.shares.items()):
            if not own or own[-1] <= now - MINUTE:
                del counts.shares[user]
        if counts.day != day:
            counts.day, counts.day_used = day, 0
        return counts


# --- Redis store ------------------------------------------------------------------------------

# KEYS: leases (zset lease->expiry ms), calls (zset member->start ms), day counter, the rep's share (zset; used only
# when ARGV[9] is 1).
# ARGV: now ms, lease, lease ms, minute ms, concurrent, per minute, per day, day ttl s, shared call (1/0), per share,
# share reserve.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[4])
local shared = ARGV[9] == '1'
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[7]) then
  return {'day', '0'}
end
local minute_limit = tonumber(ARGV[6])
if shared then minute_limit = math.max(0, minute_limit - tonumber(ARGV[11])) end
local used = redis.call('ZCARD', KEYS[2])
if used >= minute_limit then
  if minute_limit == 0 then return {'minute', tostring(window)} end
  local oldest = redis.call('ZRANGE', KEYS[2], used - minute_limit, used - minute_limit, 'WITHSCORES')
  return {'minute', tostring(tonumber(oldest[2]) + window - now)}
end
if shared then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - window)
  if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[10]) then
    local own = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
    return {'minute', tostring(tonumber(own[2]) + window - now)}
  end
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then
  return {'concurrent', '1000'}
end
if shared then
  redis.call('ZADD', KEYS[4], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[4], window * 2)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
redis.call('ZADD', KEYS[2], now, ARGV[2])
redis.call('PEXPIRE', KEYS[2], window * 2)
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[8]))
return {'ok', '0'}
"""

# KEYS: calls, day counter. ARGV: now ms, minute ms, minute floor (-1: none), day floor (-1: none), day ttl s, tag.
_RAISE_FLOOR = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local missing = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
for i = 1, missing do
  redis.call('ZADD', KEYS[1], now, ARGV[6] .. ':' .. i)
end
if missing > 0 then redis.call('PEXPIRE', KEYS[1], window * 2) end
local floor = tonumber(ARGV[4])
if floor >= 0 and tonumber(redis.call('GET', KEYS[2]) or '0') < floor then
  redis.call('SET', KEYS[2], floor, 'EX', tonumber(ARGV[5]))
end
return 0
"""

_USAGE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), tonumber(redis.call('GET', KEYS[3]) or '0')}
"""

_DAY_TTL = 2 * 24 * 3600

# KEYS: next probe (ms). ARGV: now ms, wait ms, exact (1/0). hold_probes.
_HOLD_PROBES = """
local target = tonumber(ARGV[1]) + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[3] == '1' or target > current then
  redis.call('SET', KEYS[1], target, 'PX', math.max(1, tonumber(ARGV[2])))
end
return 0
"""

# KEYS: next probe (ms). ARGV: now ms, wait ms. Returns 0 (probe now) or the ms until one may go.
_TRY_PROBE = """
local now = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > now then return current - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[2]), 'PX', math.max(1, tonumber(ARGV[2])))
return 0
"""

# KEYS: day counter. ARGV: used, ttl s. lower_day.
_LOWER_DAY = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
end
return 0
"""


class RedisBudgetStore:
    """Counts in Redis, so every worker and host that shares the Redis shares the budget."""

    def __init__(self, redis, prefix: str = "xero-panel:") -> None:
        self.redis = redis
        self.prefix = f"{prefix}budget:"
        self._acquire = redis.register_script(_ACQUIRE)
        self._raise_floor = redis.register_script(_RAISE_FLOOR)
        self._usage = redis.register_script(_USAGE)
        self._hold_probes = redis.register_script(_HOLD_PROBES)
        self._try_probe = redis.register_script(_TRY_PROBE)
        self._lower_day = redis.register_script(_LOWER_DAY)

    def hold_probes(self, tenant_id: str, *, now: float, seconds: float, exact: bool = False) -> None:
        self._hold_probes(keys=[self._probe_key(tenant_id)], args=[_ms(now), _ms(seconds), 1 if exact else 0])

    def try_probe(self, tenant_id: str, *, now: float, seconds: float) -> float:
        return float(self._try_probe(keys=[self._probe_key(tenant_id)], args=[_ms(now), _ms(seconds)])) / 1000

    def lower_day(self, tenant_id: str, *, now: float, day: str, day_used: int) -> None:
        self._lower_day(keys=[self._keys(tenant_id, day)[2]], args=[day_used, _DAY_TTL])

    def _probe_key(self, tenant_id: str) -> str:
        return f"{self.prefix}{tenant_id}:day-probe"

    def try_acquire(self, tenant_id: str, lease: str, *, now: float, day: str, limits: Limits,
                    share: str = "") -> Refusal | None:
        args = [_ms(now), lease, _ms(LEASE_SECONDS), _ms(MINUTE), limits.concurrent, limits.per_minute,
                limits.per_day, _DAY_TTL, 1 if share else 0, limits.per_share, limits.share_reserve]
        keys = [*self._keys(tenant_id, day), f"{self.prefix}{tenant_id}:share:{share}"]
        outcome, wait_ms = self._acquire(keys=keys, args=args)
        outcome = outcome.decode() if isinstance(outcome, bytes) else outcome
        if outcome == "ok":
            return None
        return Refusal(outcome, float(wait_ms) / 1000)

    def release(self, tenant_id: str, lease: str) -> None:
        self.redis.zrem(self._keys(tenant_id, "")[0], lease)

    def raise_floor(
        self, tenant_id: str, *, now: float, day: str, minute_used: int | None, day_used: int | None
    ) -> None:
        _, calls, day_key = self._keys(tenant_id, day)
        args = [_ms(now), _ms(MINUTE), -1 if minute_used is None else minute_used,
                -1 if day_used is None else day_used, _DAY_TTL, f"xero:{uuid.uuid4().hex}"]
        self._raise_floor(keys=[calls, day_key], args=args)

    def usage(self, tenant_id: str, *, now: float, day: str) -> BudgetUsage:
        in_flight, minute_used, day_used = self._usage(keys=self._keys(tenant_id, day), args=[_ms(now), _ms(MINUTE)])
        return BudgetUsage(int(in_flight), int(minute_used), int(day_used))

    def _keys(self, tenant_id: str, day: str) -> list[str]:
        base = f"{self.prefix}{tenant_id}:"
        return [base + "leases", base + "calls", f"{base}day:{day}"]


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
