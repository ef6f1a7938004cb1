"""Configuration: defaults that run the whole product on one machine, then the environment
(prefix XERO_PANEL_, e.g. XERO_PANEL_REDIS_URL), then the mapping given to create_app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from plugin.xero.endpoints import XeroEndpoints

ENV_PREFIX = "XERO_PANEL"

# The emulator registers this client for the embedded default; real Xero needs your own.
EMULATOR_CLIENT_ID = "emulator-panel-client"
EMULATOR_CLIENT_SECRET = "emulator-panel-secret"

GRANULAR_SCOPES = (
    "openid profile email offline_access "
    "accounting.invoices.read accounting.payments.read "
    "accounting.contacts.read accounting.settings.read"
)

DEFAULTS: dict[str, Any] = {
    # Xero. Empty client id: talk to the local emulator with its registered demo client.
    "XERO_CLIENT_ID": "",
    "XERO_CLIENT_SECRET": "",
    "XERO_EMULATOR_URL": "http://127.0.0.1:5001",
    "XERO_SCOPES": GRANULAR_SCOPES,
    "XERO_TIMEOUT": 10.0,
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
    # The CRM that embeds us: origins allowed to frame the panel, and the context-signing secret.
    "CRM_ORIGINS": "http://127.0.0.1:5003",
    "CONTEXT_SECRET": "",
    "CONTEXT_ISSUER": "demo-crm",
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
    _check_xero_credentials(app.config)


def _check_xero_credentials(config: Mapping[str, Any]) -> None:
    if bool(config["XERO_CLIENT_ID"]) != bool(config["XERO_CLIENT_SECRET"]):
        raise RuntimeError(
            "Set both XERO_PANEL_XERO_CLIENT_ID and XERO_PANEL_XERO_CLIENT_SECRET for real Xero, "
            "or neither for the local emulator."
        )


def uses_emulator(config: Mapping[str, Any]) -> bool:
    """Real Xero once a client id is configured, unless an emulator URL was given explicitly."""
    explicit_emulator = os.environ.get(f"{ENV_PREFIX}_XERO_EMULATOR_URL") or (
        config.get("XERO_EMULATOR_URL") != DEFAULTS["XERO_EMULATOR_URL"]
    )
    return not config["XERO_CLIENT_ID"] or bool(explicit_emulator)


def xero_endpoints(config: Mapping[str, Any]) -> XeroEndpoints:
    if uses_emulator(config):
        return XeroEndpoints.emulator(config["XERO_EMULATOR_URL"])
    return XeroEndpoints.real()


def xero_credentials(config: Mapping[str, Any]) -> tuple[str, str]:
    if config["XERO_CLIENT_ID"]:
        return config["XERO_CLIENT_ID"], config["XERO_CLIENT_SECRET"]
    return EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET


def xero_scopes(config: Mapping[str, Any]) -> tuple[str, ...]:
    scopes = config["XERO_SCOPES"]
    return tuple(scopes.split()) if isinstance(scopes, str) else tuple(scopes)


def crm_origins(config: Mapping[str, Any]) -> tuple[str, ...]:
    origins = config["CRM_ORIGINS"]
    return tuple(origins.split()) if isinstance(origins, str) else tuple(origins)
