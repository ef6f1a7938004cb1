"""The stored Xero token set of an account, refreshed safely, and a XeroClient built on it.

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
from typing import TYPE_CHECKING, Protocol

import requests
from flask import Flask, current_app

from plugin.clock import Clock
from plugin.config import xero_credentials, xero_endpoints, xero_scopes
from plugin.storage import STATUS_NEEDS_RECONNECT, Connections, LockedTokens, PanelStore, get_database
from plugin.xero.errors import ConnectionRevoked, InvalidGrant, XeroError, XeroUnavailable
from plugin.xero.models import TokenSet

if TYPE_CHECKING:
    from plugin.xero.client import XeroClient
    from plugin.xero.oauth import XeroOAuth

# Refresh this long before Xero's 30-minute expiry, so a token never dies in the middle of a page.
REFRESH_MARGIN = timedelta(minutes=2)
# Extra attempts with the same refresh token when the identity server's answer is lost. Kept small:
# on SQLite other processes wait for the lock, up to the busy time-out.
LOST_RESPONSE_RETRIES = 1
OAUTH_CALLBACK_PATH = "/admin/oauth/callback"


class NotConnected(XeroError):
    """The account has no usable Xero connection yet (never connected, or not saved by an admin)."""

    user_message = "Xero isn't connected yet; ask an admin to set it up."


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


def xero_http_for(app: Flask) -> requests.Session:
    """One keep-alive connection pool to Xero per app, shared by its threads (a session per client reconnected
    to Xero on every cold view and left sockets to the garbage collector)."""
    services = app.extensions["plugin"]
    with _locks_guard:
        return services.setdefault("xero_http", requests.Session())


def oauth_for(app: Flask | None = None) -> XeroOAuth:
    """The app's XeroOAuth (endpoints, credentials and scopes from its configuration), kept per app so that
    its JWKS cache lasts; made again if the configuration it was made from changed."""
    from plugin.xero.oauth import XeroOAuth

    app = app or current_app
    client_id, client_secret = xero_credentials(app.config)
    settings = {
        "endpoints": xero_endpoints(app.config),
        "client_id": client_id,
        "client_secret": client_secret,
        "scopes": xero_scopes(app.config),
        "redirect_uri": app.config["PUBLIC_URL"].rstrip("/") + OAUTH_CALLBACK_PATH,
        "timeout": float(app.config["XERO_TIMEOUT"]),
    }
    services = app.extensions["plugin"]
    with _locks_guard:
        made_from, oauth = services.get("xero_oauth", (None, None))
        if made_from != settings:
            oauth = XeroOAuth(session=services.setdefault("xero_http", requests.Session()),
                              clock=services["clock"], **settings)
            services["xero_oauth"] = (settings, oauth)
    return oauth


def stored_tokens_for(account_id: str, *, app: Flask | None = None) -> StoredTokens:
    app = app or current_app
    store: PanelStore = get_database(app)
    return StoredTokens(store.connections, account_id, oauth_for(app), clock=store.clock)


def xero_client_for(account_id: str, *, tenant_id: str | None = None, allow_pending: bool = False) -> XeroClient:
    """A XeroClient reading the account's chosen organisation with its stored tokens.

    Raises NotConnected when there is no saved connection (or it is still pending, unless `allow_pending`,
    which the admin flow uses before Save), ConnectionRevoked when an admin must reconnect.
    """
    from plugin.budget import budget_for
    from plugin.xero.client import XeroClient

    app = current_app
    info = get_database(app).connections.get(account_id)
    if info is None:
        raise NotConnected(f"account {account_id!r} has no Xero connection")
    if info.needs_reconnect:
        raise ConnectionRevoked(f"account {account_id!r}: connection needs reconnecting")
    if not info.is_active and not allow_pending:
        raise NotConnected(f"account {account_id!r}: the Xero connection is not saved yet")
    chosen_tenant = tenant_id or info.tenant_id
    if not chosen_tenant:
        raise NotConnected(f"account {account_id!r}: no organisation chosen")
    budget = budget_for(app)  # the organisation's rate budget, shared by all workers (plugin.budget)
    return XeroClient(
        endpoints=xero_endpoints(app.config),
        tenant_id=chosen_tenant,
        tokens=stored_tokens_for(account_id, app=app),
        session=xero_http_for(app),
        timeout=float(app.config["XERO_TIMEOUT"]),
        clock=app.extensions["plugin"]["clock"],
        gate=budget.gate(chosen_tenant),
        on_limits=budget.on_limits(chosen_tenant),
    )
