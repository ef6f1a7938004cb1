"""A bounded least-recently-used map that many threads share (cachetools' LRUCache reorders itself on every read,
so it takes a lock)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class SharedLru(Generic[Key, Value]):
    """At most `max_size` entries, or with `size_of`, entries whose sizes add up to at most `max_size` (an entry
    larger than that is not kept); the least recently used goes first."""

    def __init__(self, max_size: int, size_of: Callable[[Value], float] | None = None) -> None:
        self._entries: LRUCache[Key, Value] = LRUCache(maxsize=max_size, getsizeof=size_of)
        self._lock = threading.Lock()

    def get(self, key: Key) -> Value | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Key, value: Value) -> None:
        with self._lock:
            try:
                self._entries[key] = value
            except ValueError:  # larger than the whole bound
                self._entries.pop(key, None)

    def pop(self, key: Key) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
