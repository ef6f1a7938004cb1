"""Helpers for the client's tests against the real emulator over HTTP: the browser steps, and a token source."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from devkit.emulator.seed import DEMO_EMAIL, DEMO_PASSWORD
from devkit.emulator.state import DEMO_REDIRECT_URI
from plugin.domain.models import TokenSet
from plugin.settings import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, GRANULAR_SCOPES
from plugin.xero.endpoints import XeroEndpoints
from plugin.xero.oauth import XeroOAuth


def make_oauth(emulator, **overrides) -> XeroOAuth:
    settings = {
        "endpoints": XeroEndpoints.emulator(emulator.url),
        "client_id": EMULATOR_CLIENT_ID,
        "client_secret": EMULATOR_CLIENT_SECRET,
        "scopes": GRANULAR_SCOPES.split(),
        "redirect_uri": DEMO_REDIRECT_URI,
        "clock": emulator.state.clock,
        "timeout": 5.0,
    }
    return XeroOAuth(**{**settings, **overrides})


def _hidden(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', html)


def sign_in_and_allow(authorize_url: str, *, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> dict:
    """Do what the user does in the browser: open the authorize URL, post the sign-in form, then "Allow access"
    for every organisation offered. Returns the query of the redirect back to the app (code, state, scope)."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=5)
    assert page.status_code == 200 and 'name="password"' in page.text
    form = dict(parse_qs(urlsplit(authorize_url).query, keep_blank_values=True))
    form = {k: v[0] for k, v in form.items()}
    base = authorize_url.split("?")[0]
    consent = browser.post(base, data={**form, "step": "signin", "email": email, "password": password}, timeout=5)
    assert consent.status_code == 200, consent.text
    tenants = re.findall(r'name="tenant" value="([^"]+)"', consent.text)
    [ticket] = _hidden(consent.text, "ticket")
    answer = browser.post(
        base,
        data={**form, "step": "consent", "ticket": ticket, "tenant": tenants, "action": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["Location"]
    assert location.startswith(DEMO_REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class MemoryTokens:
    """A TokenSource over XeroOAuth that keeps the latest TokenSet in memory (StoredTokens does it for real)."""

    def __init__(self, oauth: XeroOAuth, tokens: TokenSet) -> None:
        self.oauth = oauth
        self.tokens = tokens
        self.refreshes = 0

    def access_token(self) -> str:
        return self.tokens.access_token

    def refresh_after_rejection(self, rejected: str) -> str:
        self.refreshes += 1
        self.tokens = self.oauth.refresh(self.tokens.refresh_token)
        return self.tokens.access_token
