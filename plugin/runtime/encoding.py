"""What goes into the shared cache, and how it comes out: MessagePack (msgspec), never pickle.

Every worker reads the shared cache (Redis, when configured). Had its values been pickled (Flask-Caching's
default), anyone able to write one Redis key could run code in every worker. Here nothing read from it is
unpickled:
- `SharedCacheSerializer` is the cachelib serializer of the shared cache (Redis and the in-process fallback
  alike): integers as ASCII digits (Redis INCRBY counters), bytes as they are, everything else as untyped
  MessagePack, which can only produce plain data (dict, list, str, int, float, bool, None, bytes). Anything
  else (a pickle, say) is refused: read as missing, so the caller fetches again.
- `Typed(T)` stores one kind of domain value (a frozen dataclass: invoice snapshots, contact matches,
  directories, organisations) as MessagePack bytes and decodes them back into exactly that type; a value of
  another shape is refused the same way. Decimals travel as strings (exact) and enums as their values.
"""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

import msgspec

log = logging.getLogger(__name__)

T = TypeVar("T")

_encoder = msgspec.msgpack.Encoder(decimal_format="string")  # "12.30" stays 12.30: no float in between
_plain = msgspec.msgpack.Decoder()  # untyped: plain data only
_REFUSED = (msgspec.DecodeError, msgspec.ValidationError, TypeError, ValueError)

BYTES, MSGPACK = b"b", b"m"  # the first byte of every non-integer value says how the rest is encoded


def encode(value: Any) -> bytes:
    """MessagePack of a value built from frozen dataclasses (or msgspec Structs), tuples, dicts and scalars."""
    return _encoder.encode(value)


class Typed(Generic[T]):
    """One kind of value in the shared cache, stored as MessagePack bytes and decoded back into `kind`."""

    def __init__(self, kind: Any) -> None:
        self.kind = kind
        self._decoder = msgspec.msgpack.Decoder(type=kind)

    def decode(self, payload: Any) -> T | None:
        """The value, or None when `payload` is missing or is not a `kind` (it is then fetched again)."""
        if payload is None:
            return None
        if not isinstance(payload, bytes | bytearray | memoryview):
            log.warning("shared cache: refused a %s where %s bytes were expected", type(payload).__name__, self.kind)
            return None
        try:
            return self._decoder.decode(payload)
        except _REFUSED as error:
            log.warning("shared cache: refused a value that is not a %s: %s", self.kind, error)
            return None

    def get(self, cache: Any, key: str) -> T | None:
        return self.decode(cache.get(key))

    def set(self, cache: Any, key: str, value: T, timeout: int | None = None) -> None:
        cache.set(key, encode(value), timeout=timeout)


class SharedCacheSerializer:
    """A cachelib serializer (RedisCache, SimpleCache) that never unpickles. See the module docstring."""

    def dumps(self, value: Any) -> bytes:
        if type(value) is int:  # Redis INCRBY works on the ASCII form, as with cachelib's own serializer
            return str(value).encode()
        if isinstance(value, bytes):
            return BYTES + value
        return MSGPACK + encode(value)

    def loads(self, value: bytes | None) -> Any:
        if value is None:
            return None
        kind = value[:1]
        if kind == BYTES:
            return value[1:]
        if kind == MSGPACK:
            try:
                return _plain.decode(value[1:])
            except _REFUSED as error:
                log.warning("shared cache: refused an unreadable value: %s", error)
                return None
        try:
            return int(value)
        except ValueError:
            # e.g. cachelib's pickle format (b"!" + pickle): never unpickled, read as missing.
            log.warning("shared cache: refused a value in an unknown format (first byte %r)", kind)
            return None
