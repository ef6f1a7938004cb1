"""An installed portal's HubSpot access: its stored (encrypted) OAuth tokens, refreshed one refresh at a time, and
the API reads the card needs, cached briefly.

As with Pipedrive's tokens (pipedrive_access.py) and Xero's (plugin/runtime/tokens.py), a refresh runs under a
per-account lock in this process and the database row lock across processes, reads the stored set again under the
lock (another worker may have refreshed meanwhile), and commits the new set before its access token is used.
"""

from __future__ import annotations

from flask import Flask, current_app

from plugin.hosts.host_access import NotInstalled, StoredHostTokens, cached
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
from plugin.services import services
from plugin.storage import HostTokenSet

RECORD_CACHE_SECONDS = 60
USER_CACHE_SECONDS = 300
CALLBACK_PATH = "/hosts/hubspot/oauth/callback"


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
    source = StoredHostTokens(account_id, _rotate)
    return HubSpotAPI(base_url=api_url(), token=source.access_token, refreshed=source.refresh_after_rejection,
                      http=services().crm_http, timeout=float(current_app.config.get("HUBSPOT_TIMEOUT", 10)))


def user_of(account_id: str, user_id: str, api: HubSpotAPI) -> HubSpotUser | None:
    """The HubSpot user with `superAdmin` from the users API, cached for USER_CACHE_SECONDS."""
    return cached(f"hubspot-user:{account_id}:{user_id}", USER_CACHE_SECONDS, lambda: api.user(user_id),
                  HubSpotUser)


def _rotate(stored: HostTokenSet) -> HostTokenSet:
    """The stored set, rotated by HubSpot."""
    try:
        fresh = oauth().refresh(stored.refresh_token)
    except HubSpotGrantRefused as refused:
        raise HubSpotAccessRefused(str(refused)) from None
    return HostTokenSet(access_token=fresh.access_token, refresh_token=fresh.refresh_token,
                        expires_at=fresh.expires_at, api_domain=stored.api_domain, scope=stored.scope,
                        installed_by=stored.installed_by)
