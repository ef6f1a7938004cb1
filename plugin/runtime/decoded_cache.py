"""Decode each large cached value once per worker, not on every cache read.

Flask-Caching pickles every value, in Redis and in its in-process SimpleCache alike, so a warm panel
render used to unpickle a contact's whole invoice snapshot (hundreds of frozen dataclasses) on every
request. `memoise_decoding(backend)` gives the backend a serializer that remembers what the last few
large payloads decoded to, keyed by the payload bytes themselves: identical bytes always decode to an
equal value, so whoever wrote, replaced, expired or deleted the entry (another worker, a webhook), a
read is exactly as current as before; only the unpickling is skipped. Hashing the bytes is ~100x
cheaper than unpickling them.

Only frozen dataclasses are shared this way (the invoice snapshot, contact matches, organisations):
every reader gets the same object, so it must be one nobody can change. Anything else is decoded per
read, as before.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

from cachelib.serializers import BaseRedisSerializer, BaseSerializer

MIN_BYTES = 2048  # smaller values unpickle in microseconds; remembering them would only cost memory
MAX_ENTRIES = 256  # snapshots of the contacts this worker's reps have open right now
_MISSING = object()


class DecodedValues:
    """A bounded LRU from payload bytes to the immutable value they decode to (thread-safe)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, payload: bytes) -> Any:
        with self._lock:
            value = self._values.get(payload, _MISSING)
            if value is not _MISSING:
                self._values.move_to_end(payload)
            return value

    def put(self, payload: bytes, value: Any) -> None:
        if not _is_immutable(value):
            return
        with self._lock:
            self._values[payload] = value
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)


def _is_immutable(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and value.__dataclass_params__.frozen  # type: ignore[union-attr]


def _remembered(decoded: DecodedValues, payload: bytes, decode) -> Any:  # type: ignore[no-untyped-def]
    if len(payload) < MIN_BYTES:
        return decode(payload)
    value = decoded.get(payload)
    if value is _MISSING:
        value = decode(payload)
        decoded.put(payload, value)
    return value


class RememberingRedisSerializer(BaseRedisSerializer):
    """cachelib's Redis format (b"!" + pickle, integers as ASCII), with large values decoded once."""

    def __init__(self, decoded: DecodedValues | None = None) -> None:
        self.decoded = decoded or DecodedValues()

    def loads(self, value: bytes | None) -> Any:
        if value is None or not value.startswith(b"!"):
            return super().loads(value)
        return _remembered(self.decoded, value, super().loads)


class RememberingSerializer(BaseSerializer):
    """cachelib's plain pickle format (SimpleCache), with large values decoded once."""

    def __init__(self, decoded: DecodedValues | None = None) -> None:
        self.decoded = decoded or DecodedValues()

    def loads(self, bvalue: bytes) -> Any:
        return _remembered(self.decoded, bvalue, super().loads)


def memoise_decoding(backend: Any) -> None:
    """Swap the serializer of a cachelib backend (RedisCache or SimpleCache) for its remembering twin."""
    current = getattr(backend, "serializer", None)
    if isinstance(current, BaseRedisSerializer):
        backend.serializer = RememberingRedisSerializer()
    elif isinstance(current, BaseSerializer):
        backend.serializer = RememberingSerializer()

