"""What every CRM host that holds its own OAuth tokens shares: the stored token set of an installation, refreshed
one refresh at a time, and brief caching of what the CRM's API said.

A refresh runs under a lock per account in this process and the database row's lock (like Xero's tokens, in
plugin.runtime.tokens); under it the stored set is read again, since another worker may have refreshed it while
this one waited. The host only says how to rotate (its OAuth client and its own "access refused" error).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from plugin.runtime.encoding import Typed
from plugin.services import services
from plugin.storage import HostTokenSet

REFRESH_MARGIN = timedelta(minutes=2)  # refresh this long before expiry, so a token never dies mid-request
MISS_SECONDS = 10  # a record or user the CRM doesn't know is asked about again this soon


class NotInstalled(Exception):
    """The CRM account has not installed the app (or has uninstalled it)."""


def cached(key: str, seconds: int, load: Callable[[], Any], kind: Any) -> Any:
    """A read through the shared cache of a value of type `kind` (or None, a miss, cached briefly too). Stored as
    MessagePack and decoded back into `kind` (plugin.runtime.encoding): nothing read from the cache is unpickled."""
    codec = _codec(kind)
    cache = services().cache
    hit = codec.get(cache, key)
    if hit is not None:
        return hit[1]
    value = load()
    codec.set(cache, key, (value is not None, value), timeout=seconds if value is not None else MISS_SECONDS)
    return value


@functools.cache
def _codec(kind: Any) -> Typed:
    return Typed(tuple[bool, kind | None])


class StoredHostTokens:
    """A token source (access_token / refresh_after_rejection) over one installation's stored tokens. `rotate`
    turns the stored set into the rotated one with the host's OAuth client (raising the host's own error when the
    refresh token is refused)."""

    def __init__(self, account_id: str, rotate: Callable[[HostTokenSet], HostTokenSet]) -> None:
        self._account_id = account_id
        self._rotate = rotate

    def access_token(self) -> str:
        stored = self._stored()
        return stored.access_token if not self._expiring(stored) else self._refresh(needed=self._expiring)

    def refresh_after_rejection(self, rejected: str) -> str:
        return self._refresh(needed=lambda stored: stored.access_token == rejected or self._expiring(stored))

    def _stored(self) -> HostTokenSet:
        stored = services().database.host_tokens.get(self._account_id)
        if stored is None:
            raise NotInstalled(self._account_id)
        return stored

    @staticmethod
    def _expiring(tokens: HostTokenSet) -> bool:
        return tokens.expires_at - REFRESH_MARGIN <= services().clock.now()

    def _refresh(self, *, needed: Callable[[HostTokenSet], bool]) -> str:
        db = services().database
        with _process_lock(self._account_id), db.host_tokens.locked(self._account_id) as row:
            stored = row.tokens
            if stored is None:
                raise NotInstalled(self._account_id)
            if not needed(stored):
                return stored.access_token  # another worker refreshed while this one waited
            rotated = self._rotate(stored)
            row.store(rotated)
        return rotated.access_token


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _process_lock(account_id: str) -> threading.Lock:
    """Threads of this process queue here first, so only one of them waits on the database lock."""
    with _locks_guard:
        return _locks.setdefault(account_id, threading.Lock())
