"""Settings: defaults, then the environment (prefix XERO_PANEL_, e.g. XERO_PANEL_REDIS_URL), then the mapping
given to create_app. Which Xero (real or the dev kit's emulator) is an explicit XERO_MODE, and a production
start refuses demo secrets (`production_problems`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from plugin.xero.endpoints import XeroEndpoints

ENV_PREFIX = "XERO_PANEL"
MODE_XERO = "xero"
MODE_EMULATOR = "emulator"
DEMO_ISSUER = "demo-crm"

# The emulator registers this client for the embedded default; real Xero needs your own.
EMULATOR_CLIENT_ID = "emulator-panel-client"
EMULATOR_CLIENT_SECRET = "emulator-panel-secret"

GRANULAR_SCOPES = (
    "openid profile email offline_access "
    "accounting.invoices.read accounting.payments.read "
    "accounting.contacts.read accounting.settings.read"
)

DEFAULTS: dict[str, Any] = {
    # Xero: "xero" (real Xero with XERO_CLIENT_ID/SECRET) or "emulator" (the dev kit's emulator at
    # XERO_EMULATOR_URL with its demo client; the demo and the tests set it).
    "XERO_MODE": "xero",
    "XERO_CLIENT_ID": "",
    "XERO_CLIENT_SECRET": "",
    "XERO_EMULATOR_URL": "http://127.0.0.1:5001",
    "XERO_SCOPES": GRANULAR_SCOPES,
    "XERO_TIMEOUT": 10.0,
    # Seconds a panel view may spend on Xero in all (tries, retries, waits): then the rep is told Xero is slow.
    "XERO_VIEW_DEADLINE": 8.0,
    # Where this app is reachable by browsers (OAuth redirect URI is built from it).
    "PUBLIC_URL": "http://127.0.0.1:5002",
    # Storage: empty means a SQLite file in the instance folder.
    "DATABASE_URL": "",
    # Token encryption (Fernet). Empty means a key file in the instance folder, mode 0600.
    "TOKEN_KEY": "",
    # Shared cache, rate budget and locks. Empty means in-process (one worker).
    "REDIS_URL": "",
    "REDIS_KEY_PREFIX": "xero-panel:",  # every shared key starts with it (cache, budget, locks)
    "CACHE_TTL": 60,
    # Each worker keeps the invoice snapshots its reps look at decoded, up to this many bytes (estimated).
    "SNAPSHOT_CACHE_BYTES": 64 * 1024 * 1024,
    # Without REDIS_URL (or while Redis is unreachable), the shared cache lives in this process, up to this many
    # bytes of encoded values; the least recently used go first (plugin/runtime/cache.py).
    "LOCAL_CACHE_BYTES": 256 * 1024 * 1024,
    # The CRM that embeds us: origins allowed to frame the panel, and the context-signing secret.
    "CRM_ORIGINS": "http://127.0.0.1:5003",
    "CONTEXT_SECRET": "",
    "CONTEXT_ISSUER": DEMO_ISSUER,
    "CONTEXT_AUDIENCE": "xero-invoice-panel",
    # Xero webhooks signing key; empty disables the webhook endpoint (404).
    "WEBHOOK_KEY": "",
    "SECRET_KEY": "",
    # Pipedrive (plugin/hosts/pipedrive*.py). Empty client id: the Pipedrive host is off (its routes answer 404).
    "PIPEDRIVE_CLIENT_ID": "",
    "PIPEDRIVE_CLIENT_SECRET": "",
    "PIPEDRIVE_JWT_SECRET": "",  # the custom UI extensions' JWT secret; empty: the client secret, as Pipedrive does
    "PIPEDRIVE_API_URL": "",  # empty: the company's api_domain from OAuth, else https://api.pipedrive.com
    "PIPEDRIVE_OAUTH_URL": "https://oauth.pipedrive.com",
    "PIPEDRIVE_FRAME_ORIGINS": "https://*.pipedrive.com",  # who may frame the panel for Pipedrive (CSP)
    "PIPEDRIVE_TIMEOUT": 10.0,
    # HubSpot (plugin/hosts/hubspot*.py): an app card calling POST /hosts/hubspot/card through hubspot.fetch, verified
    # with the app's client secret (v3 signature). Empty client id: the HubSpot host is off (its routes answer 404).
    "HUBSPOT_CLIENT_ID": "",
    "HUBSPOT_CLIENT_SECRET": "",
    "HUBSPOT_APP_ID": "",  # when set, a request naming another appId is refused
    "HUBSPOT_API_URL": "https://api.hubapi.com",
    "HUBSPOT_AUTHORIZE_URL": "https://app.hubspot.com/oauth/authorize",
    "HUBSPOT_SCOPES": "oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read "
                      "settings.users.read",
    "HUBSPOT_FRAME_ORIGINS": "https://app.hubspot.com https://app-eu1.hubspot.com",  # who frames the modal (CSP)
    "HUBSPOT_TIMEOUT": 10.0,
    # Salesforce Canvas (plugin/hosts/salesforce*.py). Empty consumer secret: the Salesforce host is off (404).
    "SALESFORCE_CONSUMER_SECRET": "",  # the connected app's consumer secret: it signs Canvas's signed_request
    "SALESFORCE_ADMIN_PERMISSION_SET": "Xero_Invoices_Admin",  # API name; users holding it may connect Xero
    "SALESFORCE_FRAME_ORIGINS": "https://*.force.com https://*.salesforce.com",  # who may frame the panel (CSP)
    "SALESFORCE_API_ORIGINS": "https://*.salesforce.com",  # where an envelope's instanceUrl may point
    "SALESFORCE_API_VERSION": "62.0",
    "SALESFORCE_TIMEOUT": 10.0,
    # Freshworks CRM (plugin/hosts/freshworks*.py). Empty secret: the Freshworks host is off (its contexts get 404).
    "FRESHWORKS_CONTEXT_SECRET": "",  # the app's secure `panel_secret` iparam; several, newest first, while rotating
    "FRESHWORKS_DOMAINS": "",  # Freshsales domains served (acme.myfreshworks.com ...); empty: any the secret signs
    "FRESHWORKS_FRAME_ORIGINS": "https://*.myfreshworks.com",  # who may frame the panel for Freshworks (CSP)
    # Observability: GET /metrics (Prometheus) answers only `Authorization: Bearer <METRICS_TOKEN>`; empty: off
    # (404). LOG_FORMAT "json" writes the app's logs as JSON lines with the request id; "plain" leaves logging as
    # Python's default (or whatever the host configured).
    "METRICS_TOKEN": "",
    "LOG_FORMAT": "plain",
    # Largest request body accepted (a Xero webhook batch is the largest; panel forms are tiny).
    "MAX_CONTENT_LENGTH": 256 * 1024,
}


def instance_path(overrides: Mapping[str, Any] | None) -> str | None:
    """Where generated keys and the SQLite file live; None lets Flask choose (./instance in a checkout)."""
    chosen = (overrides or {}).get("INSTANCE_PATH") or os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH")
    return str(Path(chosen).resolve()) if chosen else None


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.update(overrides)
    _check_xero_settings(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app, "secret_key")


def _check_xero_settings(config: Mapping[str, Any]) -> None:
    if config["XERO_MODE"] not in (MODE_XERO, MODE_EMULATOR):
        raise RuntimeError(f"XERO_PANEL_XERO_MODE must be '{MODE_XERO}' or '{MODE_EMULATOR}', "
                           f"not {config['XERO_MODE']!r}.")
    if bool(config["XERO_CLIENT_ID"]) != bool(config["XERO_CLIENT_SECRET"]):
        raise RuntimeError("Set both XERO_PANEL_XERO_CLIENT_ID and XERO_PANEL_XERO_CLIENT_SECRET for real Xero.")


def uses_emulator(config: Mapping[str, Any]) -> bool:
    """The emulator only when configured (XERO_MODE=emulator); never by default or by accident."""
    return config["XERO_MODE"] == MODE_EMULATOR


def xero_endpoints(config: Mapping[str, Any]) -> XeroEndpoints:
    if uses_emulator(config):
        return XeroEndpoints.emulator(config["XERO_EMULATOR_URL"])
    return XeroEndpoints.real()


def xero_credentials(config: Mapping[str, Any]) -> tuple[str, str]:
    """The configured client; in emulator mode without one, the emulator's registered demo client."""
    if config["XERO_CLIENT_ID"] or not uses_emulator(config):
        return config["XERO_CLIENT_ID"], config["XERO_CLIENT_SECRET"]
    return EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """Why this configuration must not serve real CRMs, one sentence per setting to set; empty when it may.
    Emulator mode is a development setting and is not checked."""
    if uses_emulator(config):
        return []
    problems = []
    if not config["XERO_CLIENT_ID"] or config["XERO_CLIENT_ID"] == EMULATOR_CLIENT_ID:
        problems.append("Set XERO_PANEL_XERO_CLIENT_ID and XERO_PANEL_XERO_CLIENT_SECRET to your Xero app's "
                        "credentials (or XERO_PANEL_XERO_MODE=emulator for development).")
    if not str(config.get("CONTEXT_SECRET") or "").strip():
        problems.append("Set XERO_PANEL_CONTEXT_SECRET to the secret your CRM signs contexts with "
                        "(a generated one only suits the demo).")
    if config.get("CONTEXT_ISSUER") == DEMO_ISSUER:
        problems.append(f"Set XERO_PANEL_CONTEXT_ISSUER to your CRM's issuer ('{DEMO_ISSUER}' is the demo CRM's).")
    loopback = [origin for origin in crm_origins(config) if _is_loopback(origin)]
    if loopback:
        problems.append(f"Set XERO_PANEL_CRM_ORIGINS to your CRM's origins ({' '.join(loopback)} is this machine).")
    return problems


def _is_loopback(origin: str) -> bool:
    host = (urlsplit(origin).hostname or "").lower()
    return host == "localhost" or host.endswith(".localhost") or host == "::1" or host.startswith("127.")


def instance_secret(app: Flask, name: str) -> str:
    """A random secret kept in the instance folder (mode 0600), made on first use."""
    path = Path(app.instance_path) / name
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def xero_scopes(config: Mapping[str, Any]) -> tuple[str, ...]:
    scopes = config["XERO_SCOPES"]
    return tuple(scopes.split()) if isinstance(scopes, str) else tuple(scopes)


def crm_origins(config: Mapping[str, Any]) -> tuple[str, ...]:
    origins = config["CRM_ORIGINS"]
    return tuple(origins.split()) if isinstance(origins, str) else tuple(origins)
