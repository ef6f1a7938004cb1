"""The HubSpot world for host tests (the session's Xero emulator, the panel as a HubSpot app, the dev kit's HubSpot)
and requests signed with HubSpot's own Python library (hubspot-api-client's Signature.get_signature, v3)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
import requests

from devkit.hubspot import start_hubspot_world
from devkit.hubspot.state import ACME_ID, ADMIN_ID, GLOBEX_ID, REP_ID
from plugin.services import services
from plugin.storage import get_database
from plugin.xero.parse import parse_token_set

signature = pytest.importorskip("hubspot.utils.signature", reason="hubspot-api-client is a test dependency")
Signature = signature.Signature
ACCOUNT = f"hubspot:{ACME_ID}"


@pytest.fixture
def hs_world(emulator, clock, tmp_path):
    started = start_hubspot_world(emulator=(emulator.url, emulator.state), clock=clock, data_dir=tmp_path,
                                  panel_config={"SECRET_KEY": "hubspot-tests-secret-key", "TESTING": True})
    yield started
    started.stop()


def install(world, *, portal_id: int = ACME_ID, user_id: int = ADMIN_ID) -> requests.Response:
    """The install as a browser does it: our /install, HubSpot's consent, Connect app, our callback."""
    browser = requests.Session()
    browser.cookies.set("hs_user", f"{portal_id}:{user_id}")
    start = browser.get(world.panel_url + "/hosts/hubspot/install", allow_redirects=False)
    assert start.status_code == 303
    consent = browser.get(start.headers["Location"])
    assert consent.status_code == 200
    form = dict(re.findall(r'name="(client_id|redirect_uri|state|scope)" value="([^"]*)"', consent.text))
    return browser.post(world.hubspot_url + "/oauth/authorize", data={**form, "answer": "allow"})


def connect_xero(world, account: str = ACCOUNT) -> dict:
    state = world.emulator_state
    tenant = state.tenants[0]
    tokens = parse_token_set(state.issue_token_set(), services(world.panel_app).clock.now())
    connections = get_database(world.panel_app).connections
    connections.store_consent(account, tokens, connected_by_email="demo@example.com")
    connections.choose_tenant(account, tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate(account)
    return tenant


def now_ms(world) -> int:
    return int(services(world.panel_app).clock.now().timestamp() * 1000)


def card_body(object_id, *, type_id: str = "0-1", portal_id: int = ACME_ID, user_id: int = REP_ID,
              **extra) -> dict:
    return {"portalId": str(portal_id), "userId": str(user_id), "userEmail": "sam.rep@acme-crm.example",
            "objectId": str(object_id), "objectTypeId": type_id, "locale": "en-NZ", "timezone": "Pacific/Auckland",
            **extra}


def signed_post(world, path: str, body: dict, *, query: dict | None = None, secret: str | None = None,
                timestamp: int | None = None, sign_uri: str | None = None, sign_body: str | None = None,
                send_body: str | None = None, headers: dict | None = None) -> requests.Response:
    """POST as hubspot.fetch does, signed by HubSpot's library. The sign_* and send_* overrides forge requests."""
    uri = world.panel_url + path + ("?" + urlencode(query) if query else "")
    raw = json.dumps(body)
    stamp = str(now_ms(world) if timestamp is None else timestamp)
    signed = Signature.get_signature(secret or world.hubspot.app.client_secret, sign_body or raw, "v3",
                                     http_uri=sign_uri or hubspot_uri(uri), http_method="POST", timestamp=stamp)
    return requests.post(uri, data=(send_body or raw).encode(), timeout=15, headers={
        "X-HubSpot-Signature-v3": signed, "X-HubSpot-Request-Timestamp": stamp,
        "Content-Type": "application/json", **(headers or {})})


def hubspot_uri(uri: str) -> str:
    """HubSpot's library signs the URI as given; HubSpot writes it with these escapes decoded (its docs' table)."""
    for escape, plain in (("%3A", ":"), ("%2F", "/"), ("%3F", "?"), ("%40", "@"), ("%21", "!"), ("%24", "$"),
                          ("%27", "'"), ("%28", "("), ("%29", ")"), ("%2A", "*"), ("%2C", ","), ("%3B", ";")):
        uri = uri.replace(escape, plain).replace(escape.lower(), plain)
    return uri


def matched_contact(world) -> dict:
    """The first contact whose email is exactly one Xero customer's, and that customer."""
    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    emails = [c["email"].lower() for c in customers if c.get("email")]
    by_email = {c["email"].lower(): c for c in customers if c.get("email")}
    for contact in world.hubspot.portal(ACME_ID).contacts.values():
        email = contact["properties"]["email"].lower()
        if email in by_email and emails.count(email) == 1:
            return {"contact": contact, "customer": by_email[email]}
    raise AssertionError("no contact matches a Xero customer")


__all__ = ["ACME_ID", "ADMIN_ID", "GLOBEX_ID", "REP_ID"]
