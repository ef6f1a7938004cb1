"""An installed portal's HubSpot access: its stored (encrypted) OAuth tokens, refreshed one refresh at a time, and
the API reads the card needs, cached briefly.

As with Pipedrive's tokens (pipedrive_access.py) and Xero's (plugin/runtime/tokens.py), a refresh runs under a
per-account lock in this process and the database row lock across processes, reads the stored set again under the
lock (another worker may have refreshed meanwhile), and commits the new set before its access token is used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app

from plugin.hosts.hubspot import HOST, HubSpotUser
from plugin.hosts.hubspot_api import (
    DEFAULT_API_URL,
    DEFAULT_AUTHORIZE_URL,
    SCOPES,
    HubSpotAccessRefused,
    HubSpotAPI,
    HubSpotGrantRefused,
    HubSpotOAuth,
    HubSpotTokens,
)
from plugin.hosts.pipedrive_access import cached
from plugin.services import services
from plugin.storage import HostTokenSet

REFRESH_MARGIN = timedelta(minutes=2)
RECORD_CACHE_SECONDS = 60
USER_CACHE_SECONDS = 300
CALLBACK_PATH = "/hosts/hubspot/oauth/callback"


class NotInstalled(Exception):
    """The portal has not installed the app."""


def api_url(app: Flask | None = None) -> str:
    return str((app or current_app).config.get("HUBSPOT_API_URL") or DEFAULT_API_URL)


def oauth(app: Flask | None = None) -> HubSpotOAuth:
    app = app or current_app
    config = app.config
    return HubSpotOAuth(
        authorize_url=str(config.get("HUBSPOT_AUTHORIZE_URL") or DEFAULT_AUTHORIZE_URL),
        api_url=api_url(app),
        client_id=str(config.get("HUBSPOT_CLIENT_ID") or ""),
        client_secret=str(config.get("HUBSPOT_CLIENT_SECRET") or ""),
        redirect_uri=str(config["PUBLIC_URL"]).rstrip("/") + CALLBACK_PATH,
        scopes=str(config.get("HUBSPOT_SCOPES") or SCOPES),
        http=services(app).crm_http,
        timeout=float(config.get("HUBSPOT_TIMEOUT", 10)),
        now=services(app).clock.now,
    )


def store_install(account_id: str, tokens: HubSpotTokens, installed_by: str) -> None:
    services().database.host_tokens.store(account_id, HOST, HostTokenSet(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_at=tokens.expires_at,
        api_domain=api_url(), installed_by=installed_by))


def api_for(account_id: str) -> HubSpotAPI:
    if services().database.host_tokens.get(account_id) is None:
        raise NotInstalled(account_id)
    source = _TokenSource(account_id)
    return HubSpotAPI(base_url=api_url(), token=source.access_token, refreshed=source.refresh_after_rejection,
                      http=services().crm_http, timeout=float(current_app.config.get("HUBSPOT_TIMEOUT", 10)))


def user_of(account_id: str, user_id: str, api: HubSpotAPI) -> HubSpotUser | None:
    """The HubSpot user with `superAdmin` from the users API, cached for USER_CACHE_SECONDS."""
    return cached(f"hubspot-user:{account_id}:{user_id}", USER_CACHE_SECONDS, lambda: api.user(user_id),
                  HubSpotUser)


class _TokenSource:
    def __init__(self, account_id: str) -> None:
        self._account_id = account_id

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
            try:
                fresh = oauth().refresh(stored.refresh_token)
            except HubSpotGrantRefused as refused:
                raise HubSpotAccessRefused(str(refused)) from None
            row.store(HostTokenSet(access_token=fresh.access_token, refresh_token=fresh.refresh_token,
                                   expires_at=fresh.expires_at, api_domain=stored.api_domain, scope=stored.scope,
                                   installed_by=stored.installed_by))
        return fresh.access_token


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _process_lock(account_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(account_id, threading.Lock())
