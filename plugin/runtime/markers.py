"""Single-use markers: the one service that makes things usable once (a CRM context's jti, a sign-in ticket,
a pending OAuth state, an applied webhook delivery) and remembers them until they expire.

They must not live in the cache: a cache evicts entries when it is full, and an evicted marker makes a used
context or ticket usable again. With REDIS_URL a marker is a Redis key of its own with its own TTL (SET NX
EX), shared by every worker and host; without it, a row in the database (plugin.storage.markers). There is
no in-process fallback: when the store can't answer, `MarkersUnavailable` is raised and the caller refuses
(a context or a ticket that can't be checked is not accepted).
"""

from __future__ import annotations

from typing import Any, Protocol

from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from plugin.storage.markers import DatabaseMarkers

UNAVAILABLE_MESSAGE = "The panel can't check this link right now. Try again in a minute."


class MarkersUnavailable(Exception):
    """The marker store did not answer; the caller must refuse, not accept."""


class SingleUseMarkers(Protocol):
    def claim(self, key: str, *, ttl: float, value: str = "1") -> bool:
        """Mark `key` for `ttl` seconds; True only for the first caller while the mark lives."""

    def is_claimed(self, key: str) -> bool: ...

    def take(self, key: str) -> str | None:
        """The value claimed under `key`, removed, for exactly one caller; None if absent or expired."""


class RedisMarkers:
    """Markers as Redis keys `<prefix>once:<key>`, each with its own TTL."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix + "once:"

    def claim(self, key: str, *, ttl: float, value: str = "1") -> bool:
        try:
            return bool(self._redis.set(self._prefix + key, value, nx=True, ex=max(int(ttl + 0.999), 1)))
        except RedisError as error:
            raise MarkersUnavailable(str(error)) from error

    def is_claimed(self, key: str) -> bool:
        try:
            return bool(self._redis.exists(self._prefix + key))
        except RedisError as error:
            raise MarkersUnavailable(str(error)) from error

    def take(self, key: str) -> str | None:
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.get(self._prefix + key)
            pipe.delete(self._prefix + key)
            value, deleted = pipe.execute()
        except RedisError as error:
            raise MarkersUnavailable(str(error)) from error
        if not deleted or value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)


class CheckedDatabaseMarkers:
    """DatabaseMarkers whose database errors refuse: an unreachable database raises on (the app answers it with
    its plain "can't reach its database" 503 page), any other database error is MarkersUnavailable."""

    def __init__(self, markers: DatabaseMarkers) -> None:
        self._markers = markers

    def claim(self, key: str, *, ttl: float, value: str = "1") -> bool:
        return self._call(self._markers.claim, key, ttl=ttl, value=value)

    def is_claimed(self, key: str) -> bool:
        return self._call(self._markers.is_claimed, key)

    def take(self, key: str) -> str | None:
        return self._call(self._markers.take, key)

    @staticmethod
    def _call(method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (OperationalError, InterfaceError):
            raise
        except SQLAlchemyError as error:
            raise MarkersUnavailable(type(error).__name__) from error
