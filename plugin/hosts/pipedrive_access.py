"""An installed company's Pipedrive access: its stored (encrypted) OAuth tokens, refreshed one refresh at a time,
and the API reads the panel needs, cached briefly.

Pipedrive may rotate the refresh token on every refresh, so two refreshes from the same stored token would lose
the set. As with Xero's tokens (plugin/runtime/tokens.py), a refresh runs under a per-account lock in this process and
the database row lock (FOR UPDATE / BEGIN IMMEDIATE) across processes, reads the stored set again under the lock,
and commits the rotated set before its access token is used.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests
from flask import Flask, current_app

from plugin.hosts.pipedrive import HOST, Identity, PipedriveUser
from plugin.hosts.pipedrive_api import (
    DEFAULT_API_URL,
    DEFAULT_OAUTH_URL,
    PipedriveAccessRefused,
    PipedriveAPI,
    PipedriveGrantRefused,
    PipedriveOAuth,
    PipedriveTokens,
)
from plugin.runtime.encoding import Typed
from plugin.services import services
from plugin.storage import HostTokenSet

REFRESH_MARGIN = timedelta(minutes=2)
RECORD_CACHE_SECONDS = 60
USER_CACHE_SECONDS = 300
CALLBACK_PATH = "/hosts/pipedrive/oauth/callback"


class NotInstalled(Exception):
    """The company has not installed the app (or uninstalled it)."""


def http(app: Flask | None = None) -> requests.Session:
    return services(app).crm_http


def oauth(app: Flask | None = None) -> PipedriveOAuth:
    app = app or current_app
    config = app.config
    return PipedriveOAuth(
        oauth_url=str(config.get("PIPEDRIVE_OAUTH_URL") or DEFAULT_OAUTH_URL),
        client_id=str(config.get("PIPEDRIVE_CLIENT_ID") or ""),
        client_secret=str(config.get("PIPEDRIVE_CLIENT_SECRET") or ""),
        redirect_uri=str(config["PUBLIC_URL"]).rstrip("/") + CALLBACK_PATH,
        http=http(app),
        timeout=float(config.get("PIPEDRIVE_TIMEOUT", 10)),
        now=services(app).clock.now,
    )


def store_install(account_id: str, tokens: PipedriveTokens, installed_by: str) -> None:
    services().database.host_tokens.store(account_id, HOST, HostTokenSet(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_at=tokens.expires_at,
        api_domain=tokens.api_domain, scope=tokens.scope, installed_by=installed_by))


def api_for(account_id: str) -> PipedriveAPI:
    stored = services().database.host_tokens.get(account_id)
    if stored is None:
        raise NotInstalled(account_id)
    source = _TokenSource(account_id)
    base = str(current_app.config.get("PIPEDRIVE_API_URL") or "") or stored.api_domain or DEFAULT_API_URL
    return PipedriveAPI(base_url=base, token=source.access_token, refreshed=source.refresh_after_rejection,
                        http=http(), timeout=float(current_app.config.get("PIPEDRIVE_TIMEOUT", 10)))


def installed_by(account_id: str) -> str:
    stored = services().database.host_tokens.get(account_id)
    if stored is None:
        raise NotInstalled(account_id)
    return stored.installed_by


def user_of(identity: Identity, api: PipedriveAPI) -> PipedriveUser | None:
    """The signed-in Pipedrive user, with `is_admin`: `/users/me` when the user is the one who installed the app
    (whose token we hold), else `/users/{id}` (the same fields). Cached for USER_CACHE_SECONDS."""
    def load() -> PipedriveUser | None:
        if installed_by(identity.account_id) == identity.user_id:
            me = api.me()
            if me.id == identity.user_id:
                return me
        return api.user(identity.user_id)
    return cached(f"pipedrive-user:{identity.account_id}:{identity.user_id}", USER_CACHE_SECONDS, load, PipedriveUser)


def cached(key: str, seconds: int, load: Callable[[], Any], kind: Any) -> Any:
    """A read through the shared cache of a value of type `kind` (or None, a miss, cached briefly too). Stored as
    MessagePack and decoded back into `kind` (plugin.runtime.encoding): nothing read from the cache is unpickled."""
    codec = _codec(kind)
    cache = services().cache
    hit = codec.get(cache, key)
    if hit is not None:
        return hit[1]
    value = load()
    codec.set(cache, key, (value is not None, value), timeout=seconds if value is not None else 10)
    return value


@functools.cache
def _codec(kind: Any) -> Typed:
    return Typed(tuple[bool, kind | None])


_MISSING = "\0missing"


class _TokenSource:
    def __init__(self, account_id: str) -> None:
        self._account_id = account_id

    def access_token(self) -> str:
        stored = self._stored()
        if not self._expiring(stored):
            return stored.access_token
        return self._refresh(needed=self._expiring)

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
                rotated = oauth().refresh(stored.refresh_token)
            except PipedriveGrantRefused as refused:
                raise PipedriveAccessRefused(str(refused)) from None
            row.store(HostTokenSet(
                access_token=rotated.access_token, refresh_token=rotated.refresh_token,
                expires_at=rotated.expires_at, api_domain=rotated.api_domain, scope=rotated.scope or stored.scope,
                installed_by=stored.installed_by))
        return rotated.access_token


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _process_lock(account_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(account_id, threading.Lock())
