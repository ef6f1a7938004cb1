"""An installed company's Pipedrive access: its stored (encrypted) OAuth tokens, refreshed one refresh at a time,
and the API reads the panel needs, cached briefly.

Pipedrive may rotate the refresh token on every refresh, so two refreshes from the same stored token would lose
the set. As with Xero's tokens (plugin/runtime/tokens.py), a refresh runs under a per-account lock in this process and
the database row lock (FOR UPDATE / BEGIN IMMEDIATE) across processes, reads the stored set again under the lock,
and commits the rotated set before its access token is used.
"""

from __future__ import annotations

import requests
from flask import Flask, current_app

from plugin.hosts.host_access import NotInstalled, StoredHostTokens, cached
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
from plugin.services import services
from plugin.storage import HostTokenSet

RECORD_CACHE_SECONDS = 60
USER_CACHE_SECONDS = 300
CALLBACK_PATH = "/hosts/pipedrive/oauth/callback"


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
    source = StoredHostTokens(account_id, _rotate)
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


def _rotate(stored: HostTokenSet) -> HostTokenSet:
    """The stored set, rotated by Pipedrive (which may move the company's api_domain)."""
    try:
        rotated = oauth().refresh(stored.refresh_token)
    except PipedriveGrantRefused as refused:
        raise PipedriveAccessRefused(str(refused)) from None
    return HostTokenSet(access_token=rotated.access_token, refresh_token=rotated.refresh_token,
                        expires_at=rotated.expires_at, api_domain=rotated.api_domain,
                        scope=rotated.scope or stored.scope, installed_by=stored.installed_by)
