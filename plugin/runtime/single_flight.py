"""Single-flight: concurrent cold requests for the same key make one Xero call between them.

The first caller for a key takes a lock and fetches (the fetch stores its result in the shared
cache). Everyone else waits, for a bounded time, until `peek()` finds a result: directly from the
leader in-process, or by polling the cache when the leader is another worker or host (Redis lock,
SET NX PX, released only by its holder). When the leader's fetch fails with a Xero error, that answer
goes to every caller of the key in this worker that was already waiting for it (an outage must not turn N
waiting reps into N calls, one after another, each spending budget and a time-out); a caller that comes
later asks again. A leader that fails in any other way releases the lock and the next waiter takes over.
Followers that wait too long get `StillLoading` (a XeroUnavailable) rather than a hang.

Waiting is real time on purpose (`SystemClock` by default): it is about threads and processes
meeting, not about the business date the app's clock may be fixed at in tests.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from cachetools import TTLCache
from redis.exceptions import LockError
from redis.lock import Lock

from plugin.domain.clock import Clock, SystemClock
from plugin.xero import deadline
from plugin.xero.deadline import XeroSlow
from plugin.xero.errors import XeroError

T = TypeVar("T")

# The lock outlives any one fetch (10 s time-out x 3 tries, plus backoff); a dead holder frees it after this.
LOCK_SECONDS = 60.0


class StillLoading(XeroSlow):
    """Another request is fetching the same data and has not finished within the wait (or the view's deadline):
    the true cause is a slow Xero, and the rep is told so."""


class Locks(Protocol):
    def try_acquire(self, key: str, ttl: float) -> str | None:
        """A token when the lock is now ours, None when someone else holds it."""

    def release(self, key: str, token: str) -> None: ...

    def wait(self, key: str, timeout: float) -> None:
        """Block until the holder releases `key` or `timeout` seconds pass (either may end it early)."""


@dataclass
class _Flight:
    token: str
    done: threading.Event = field(default_factory=threading.Event)


class LocalLocks:
    """Locks among the threads of one process."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    def try_acquire(self, key: str, ttl: float) -> str | None:
        with self._guard:
            if key in self._flights:
                return None
            flight = self._flights[key] = _Flight(uuid.uuid4().hex)
            return flight.token

    def release(self, key: str, token: str) -> None:
        with self._guard:
            flight = self._flights.get(key)
            if flight is None or flight.token != token:
                return
            del self._flights[key]
        flight.done.set()

    def wait(self, key: str, timeout: float) -> None:
        with self._guard:
            flight = self._flights.get(key)
        if flight is not None:
            flight.done.wait(timeout)


class RedisLocks:
    """Locks shared by every worker and host on one Redis: redis-py's own `Lock` (SET NX PX, and a release that
    deletes the key only while it still holds our token), instead of a hand-written script. Waiting polls."""

    def __init__(self, redis, prefix: str = "xero-panel:", *, clock: Clock | None = None, poll: float = 0.02) -> None:
        self.redis = redis
        self.prefix = f"{prefix}lock:"
        self.clock = clock or SystemClock()
        self.poll = poll
        self._held: dict[str, Lock] = {}  # token -> the lock it holds, until released
        self._guard = threading.Lock()

    def try_acquire(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        # thread_local=False: the token lives on the Lock object, so whichever thread ends the fetch releases it.
        lock = Lock(self.redis, self.prefix + key, timeout=ttl, thread_local=False)
        if not lock.acquire(blocking=False, token=token):
            return None
        with self._guard:
            self._held[token] = lock
        return token

    def release(self, key: str, token: str) -> None:
        with self._guard:
            lock = self._held.pop(token, None)
        if lock is None:
            return
        with contextlib.suppress(LockError):  # expired and perhaps taken by another holder: not ours to delete
            lock.release()

    def wait(self, key: str, timeout: float) -> None:
        self.clock.sleep(min(self.poll, timeout))


class SingleFlight:
    def __init__(self, locks: Locks, *, clock: Clock | None = None, max_wait: float = 10.0) -> None:
        self.locks = locks
        self.clock = clock or SystemClock()
        self.max_wait = max_wait
        # A failed fetch's error, per key, for the callers that were waiting for it; kept no longer than any of
        # them can wait, and bounded (cachetools) so a burst of failing keys can't grow it without end.
        self._failures: TTLCache[str, tuple[float, XeroError]] = TTLCache(maxsize=4096, ttl=max_wait + 1,
                                                                          timer=self.clock.monotonic)
        self._failures_lock = threading.Lock()

    def run(self, key: str, fetch: Callable[[], T], peek: Callable[[], T | None]) -> T:
        """`fetch()` once among all concurrent callers of `key`; the others get `peek()`'s answer.

        `peek` returns a result good enough for this caller (e.g. cached after the caller started), else None.
        """
        started = self.clock.monotonic()
        ends = started + deadline.bounded(self.max_wait)  # no longer than the view's deadline allows
        while True:
            self._raise_failure_since(key, started)
            token = self.locks.try_acquire(key, LOCK_SECONDS)
            if token is not None:
                try:
                    # The previous holder may have finished between our peek and our lock.
                    found = peek()
                    return found if found is not None else self._fetch_remembering_failure(key, fetch)
                finally:
                    self.locks.release(key, token)
            remaining = ends - self.clock.monotonic()
            if remaining <= 0:
                raise StillLoading(f"gave up waiting for {key!r} after {ends - started:.1f}s")
            self.locks.wait(key, remaining)
            found = peek()
            if found is not None:
                return found

    def _fetch_remembering_failure(self, key: str, fetch: Callable[[], T]) -> T:
        try:
            return fetch()
        except XeroError as error:
            with self._failures_lock:
                self._failures[key] = (self.clock.monotonic(), error)
            raise

    def _raise_failure_since(self, key: str, started: float) -> None:
        """Raise the error of a fetch for `key` that failed while this caller was waiting for it."""
        with self._failures_lock:
            failed_at, error = self._failures.get(key, (0.0, None))
        if error is not None and failed_at >= started:
            raise error
