"""The shared cache (Flask-Caching): in-process by default, Redis when REDIS_URL is configured.

Built once per app by plugin.services. With Redis, a Redis that is unreachable fails over to this worker's
own memory (plugin.runtime.redis_link.Failover) until it answers again. Values are never pickled, in Redis or
in memory: plugin.runtime.encoding's serializer writes MessagePack and refuses anything else on the way out.

In process, the store is `MemoryCache`: bounded in bytes (setting `LOCAL_CACHE_BYTES`) and least recently used
first, like a Redis with `maxmemory-policy allkeys-lru`. cachelib's SimpleCache, used before, is bounded in
entries and prunes the entries closest to expiry by sorting the whole store on each write: an organisation of
3,000 customers has tens of thousands of small entries (the change log's invoice index), so the hour-long
matches and day-long snapshots were pruned first and a team's day refetched most views.
"""

from __future__ import annotations

import threading
from typing import Any

import cachetools
from cachelib import BaseCache
from flask import Flask
from flask_caching import Cache
from flask_caching.backends.rediscache import RedisCache

from plugin.domain.clock import Clock, SystemClock
from plugin.runtime.encoding import SharedCacheSerializer
from plugin.runtime.redis_link import Failover

KEEP_SECONDS = 24 * 3600  # entries outlive their freshness: freshness is judged from stored fetch times
DEFAULT_LOCAL_BYTES = 256 * 1024 * 1024
LOCAL_DIRECTORY_BYTES = 64 * 1024 * 1024  # directories have their own in-process store (see local_directories)
ENTRY_OVERHEAD_BYTES = 160  # a key, its tuple and the LRU's bookkeeping, roughly, beside the encoded value


class MemoryCache(BaseCache):
    """A cachelib backend in this process's memory: values encoded (as they would be in Redis, so nothing
    cached is shared as a live object), each with its own expiry, the least recently used dropped first
    once the encoded values and keys pass `max_bytes`. Thread-safe. Expiry follows `clock` (the app's), so a
    fast-run day (the team-day benchmark) expires entries on its own clock, as Redis would in a real one."""

    def __init__(self, max_bytes: int = DEFAULT_LOCAL_BYTES, default_timeout: int = KEEP_SECONDS,
                 clock: Clock | None = None) -> None:
        super().__init__(default_timeout)
        self._clock = clock or SystemClock()
        self.serializer = SharedCacheSerializer()
        self._entries: cachetools.LRUCache = cachetools.LRUCache(
            maxsize=max_bytes, getsizeof=lambda entry: entry[2])
        self._lock = threading.Lock()

    def _expiry(self, timeout: int | None) -> float:
        timeout = self._normalize_timeout(timeout)
        return self._clock.monotonic() + timeout if timeout > 0 else float("inf")

    def _live(self, key: str) -> bytes | None:
        """The encoded value, if present and not expired (call with the lock held)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def _store(self, key: str, value: Any, timeout: int | None, expiry: float | None = None) -> bool:
        """Keep `value` encoded under `key`, expiring after `timeout` (or at `expiry`, when given)."""
        encoded = self.serializer.dumps(value)
        entry = (self._expiry(timeout) if expiry is None else expiry, encoded,
                 len(encoded) + len(key) + ENTRY_OVERHEAD_BYTES)
        try:
            self._entries[key] = entry
        except ValueError:  # larger than the whole bound: not kept, as Redis would refuse it under maxmemory
            self._entries.pop(key, None)
            return False
        return True

    def get(self, key: str) -> Any:
        with self._lock:
            encoded = self._live(key)
        return self.serializer.loads(encoded)

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        with self._lock:
            return self._store(key, value, timeout)

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        with self._lock:
            return self._live(key) is None and self._store(key, value, timeout)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def has(self, key: str) -> bool:
        with self._lock:
            return self._live(key) is not None

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
        return True

    def inc(self, key: str, delta: int = 1) -> int | None:
        with self._lock:  # atomic, as Redis INCRBY is, and like it keeps the key's expiry
            current = self.serializer.loads(self._live(key))
            value = (current if isinstance(current, int) else 0) + delta
            kept = self._entries.get(key)
            self._store(key, value, None, expiry=kept[0] if kept is not None else None)
            return value

    def dec(self, key: str, delta: int = 1) -> int | None:
        return self.inc(key, -delta)

    def get_many_then_set(self, keys: list[str], key: str, value: Any, timeout: int | None = None) -> list[Any]:
        """`get_many(*keys)`, then `set(key, value, timeout)` (the values read are those from before the set)."""
        with self._lock:
            encoded = [self._live(each) for each in keys]
            self._store(key, value, timeout)
        return [self.serializer.loads(each) for each in encoded]

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._entries), "bytes": int(self._entries.currsize),
                    "max_bytes": int(self._entries.maxsize)}


class SharedRedisCache(RedisCache):
    """Flask-Caching's Redis backend, with `get_many_then_set` in one round trip."""

    def get_many_then_set(self, keys: list[str], key: str, value: Any, timeout: int | None = None) -> list[Any]:
        """`get_many(*keys)`, then `set(key, value, timeout)`, in one pipeline (one round trip, not two)."""
        prefix = self._get_prefix()
        expiry = self._normalize_timeout(timeout)
        pipeline = self._write_client.pipeline(transaction=False)
        pipeline.mget([f"{prefix}{each}" for each in keys])
        pipeline.set(name=f"{prefix}{key}", value=self.serializer.dumps(value), ex=expiry if expiry != -1 else None)
        read, _ = pipeline.execute()
        return [self.serializer.loads(each) for each in read]


def get_many_then_set(cache: Cache, keys: list[str], key: str, value: Any, timeout: int | None = None) -> list[Any]:
    """`cache.get_many(*keys)` and then `cache.set(key, value, timeout)`: one Redis round trip where the backend
    can (ours, Redis or in process), two otherwise."""
    backend = getattr(cache, "cache", cache)
    both = getattr(backend, "get_many_then_set", None)
    if both is not None:
        return list(both(keys, key, value, timeout))
    values = list(cache.get_many(*keys))
    cache.set(key, value, timeout=timeout)
    return values


def build(app: Flask, *, redis_url: str, prefix: str, clock: Clock | None = None) -> Cache:
    local_bytes = int(app.config.get("LOCAL_CACHE_BYTES") or DEFAULT_LOCAL_BYTES)
    if redis_url:
        # Time-outs: a Redis that stalls after connecting must raise (and so fail over below), not hang requests.
        settings = {"CACHE_TYPE": f"{__name__}.SharedRedisCache", "CACHE_REDIS_URL": redis_url,
                    "CACHE_OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 2, "health_check_interval": 30}}
    else:
        # replaced below by this process's MemoryCache
        settings = {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    settings["CACHE_DEFAULT_TIMEOUT"] = KEEP_SECONDS
    settings["CACHE_KEY_PREFIX"] = prefix
    cache = Cache()
    cache.init_app(app, config=settings)
    backends = app.extensions["cache"]
    if redis_url:  # while Redis is unreachable, this worker caches in its own memory
        backends[cache].serializer = SharedCacheSerializer()
        backends[cache] = Failover(backends[cache], in_process(local_bytes, clock), what="cache")
    else:
        backends[cache] = in_process(local_bytes, clock)
    return cache


def in_process(max_bytes: int = DEFAULT_LOCAL_BYTES, clock: Clock | None = None) -> MemoryCache:
    """A cache in this process's memory, encoded like the shared one (the fallback, and tests' stand-in)."""
    return MemoryCache(max_bytes, default_timeout=KEEP_SECONDS, clock=clock)


def local_directories(clock: Clock | None = None) -> MemoryCache:
    """The in-process store of customer directories (without REDIS_URL), apart from the per-contact entries, so
    a busy worker's thousands of per-contact entries never push an organisation's directory out."""
    return in_process(LOCAL_DIRECTORY_BYTES, clock)
