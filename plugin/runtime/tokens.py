"""The stored Xero token set of an account, refreshed safely (plugin.services builds a XeroClient on it).

Xero rotates the refresh token on every use, and a token set refreshed twice from two places is lost
(`invalid_grant`). So a refresh runs under a lock held across threads (a lock per account in this
process), processes and hosts (the database: FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite).
Under the lock the stored set is read again, because another worker may have refreshed it while we
waited; the rotated set is committed before its access token is handed out. A refresh whose answer is
lost is retried with the same refresh token (Xero accepts it again for 30 minutes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from plugin.domain.clock import Clock
from plugin.domain.models import TokenSet
from plugin.domain.text import N_
from plugin.storage import STATUS_NEEDS_RECONNECT, Connections, LockedTokens
from plugin.xero.errors import ConnectionRevoked, InvalidGrant, XeroError, XeroUnavailable

# Refresh this long before Xero's 30-minute expiry, so a token never dies in the middle of a page.
REFRESH_MARGIN = timedelta(minutes=2)
# Extra attempts with the same refresh token when the identity server's answer is lost. Kept small:
# on SQLite other processes wait for the lock, up to the busy time-out.
LOST_RESPONSE_RETRIES = 1


class NotConnected(XeroError):
    """The account has no usable Xero connection yet (never connected, or not saved by an admin)."""

    user_message = N_("Xero isn't connected yet; ask an admin to set it up.")


class Refresher(Protocol):
    def refresh(self, refresh_token: str) -> TokenSet: ...


class StoredTokens:
    """A TokenSource (plugin.xero.client) reading and rotating one account's stored token set."""

    def __init__(
        self,
        connections: Connections,
        account_id: str,
        oauth: Refresher,
        *,
        clock: Clock,
        margin: timedelta = REFRESH_MARGIN,
        lost_response_retries: int = LOST_RESPONSE_RETRIES,
    ) -> None:
        self._connections = connections
        self._account_id = account_id
        self._oauth = oauth
        self._clock = clock
        self._margin = margin
        self._retries = lost_response_retries

    def __repr__(self) -> str:
        return f"StoredTokens(account_id={self._account_id!r})"

    def access_token(self) -> str:
        tokens = self._usable_tokens()
        if not self._expiring(tokens):
            return tokens.access_token
        return self._refresh(needed=self._expiring)

    def refresh_after_rejection(self, rejected: str) -> str:
        return self._refresh(needed=lambda stored: stored.access_token == rejected or self._expiring(stored))

    def _usable_tokens(self) -> TokenSet:
        info = self._connections.get(self._account_id)
        if info is None:
            raise NotConnected(f"account {self._account_id!r} has no Xero connection")
        if info.needs_reconnect:
            raise ConnectionRevoked(f"account {self._account_id!r}: connection needs reconnecting ({info.last_error})")
        tokens = self._connections.tokens(self._account_id)
        if tokens is None:
            raise NotConnected(f"account {self._account_id!r} has no stored tokens")
        return tokens

    def _expiring(self, tokens: TokenSet) -> bool:
        return tokens.expires_at - self._margin <= self._clock.now()

    def _refresh(self, *, needed: Callable[[TokenSet], bool]) -> str:
        with _process_lock(self._connections, self._account_id), self._connections.locked(self._account_id) as row:
            stored = row.tokens
            if stored is None:
                raise NotConnected(f"account {self._account_id!r} has no stored tokens")
            if row.status == STATUS_NEEDS_RECONNECT:
                raise ConnectionRevoked(f"account {self._account_id!r}: connection needs reconnecting")
            if not needed(stored):
                return stored.access_token  # another worker refreshed while we waited for the lock
            rotated, failure = self._rotate_and_record(row, stored.refresh_token)
        # The locked block has committed by now: the rotated set, or why the refresh failed.
        if failure is not None:
            raise failure
        assert rotated is not None
        return rotated.access_token

    def _rotate_and_record(self, row: LockedTokens, refresh_token: str) -> tuple[TokenSet | None, XeroError | None]:
        try:
            rotated = self._rotate(refresh_token)
        except InvalidGrant as refused:
            row.mark_needs_reconnect(f"Xero refused the stored refresh token ({refused}); an admin must reconnect.")
            return None, refused
        except XeroUnavailable as lost:
            row.record_error(f"Refreshing the Xero token failed: {lost}")
            return None, lost
        row.store(rotated)
        return rotated, None

    def _rotate(self, refresh_token: str) -> TokenSet:
        for attempt in range(self._retries + 1):
            try:
                return self._oauth.refresh(refresh_token)
            except XeroUnavailable:
                if attempt == self._retries:
                    raise
                self._clock.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")


_locks_guard = threading.Lock()
_locks: dict[tuple[int, str], threading.Lock] = {}


def _process_lock(connections: Connections, account_id: str) -> threading.Lock:
    """Threads of this process queue here first, so only one of them waits on the database lock."""
    key = (id(connections), account_id)
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())
