"""The admin path over real HTTP: the panel app on a free 127.0.0.1 port, the emulator beside it.

`AdminActions` plays the admin's browser: the CRM frames /admin with a signed context, the page's
htmx requests carry the panel session header, and the sign-in window is a separate requests.Session
(its own cookies at the emulator, no header at our app).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from devkit.serving import serve_in_thread
from plugin import create_app
from plugin.domain.clock import FixedClock
from plugin.embed.context import encode_context
from plugin.embed.session import SESSION_HEADER
from tests.conftest import TODAY

CONTEXT_SECRET = "admin-tests-context-secret-0123456789"
ISSUER = "demo-crm"
AUDIENCE = "xero-invoice-panel"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo"


def context_claims(account: str = "acct-1", *, role: str = "admin", user_id: str = "u1",
                   email: str = "admin@crm.test") -> dict:
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "account": account,
        "user": {"id": user_id, "email": email, "name": "Ada Admin", "role": role,
                 "locale": "en-NZ", "tz": "Pacific/Auckland"},
        "record": {"type": "contact", "id": "42", "name": "Jane Doe", "email": "jane@x.test", "company": "Acme Ltd"},
    }


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str, bool]] = field(default_factory=list)  # name, value, type, checked

    def values(self, **overrides: str | list[str]) -> dict[str, str | list[str]]:
        """What a browser submits: hidden/text values, checked boxes and radios, then the overrides."""
        data: dict[str, str | list[str]] = {}
        for name, value, kind, checked in self.fields:
            if not name or kind in ("submit", "button"):
                continue
            if kind in ("checkbox", "radio") and not checked:
                continue
            if kind == "checkbox":
                data.setdefault(name, [])
                data[name].append(value)  # type: ignore[union-attr]
            else:
                data[name] = value
        data.update(overrides)
        return data

    def options(self, name: str) -> list[str]:
        return [value for field_name, value, _kind, _checked in self.fields if field_name == name]

    def field_names(self) -> set[str]:
        return {name for name, *_ in self.fields if name}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(attributes.get("action", ""), attributes.get("method", "get").lower()))
        elif tag in ("input", "button", "select", "textarea") and self.forms:
            kind = attributes.get("type", "submit" if tag == "button" else "text").lower()
            self.forms[-1].fields.append(
                (attributes.get("name", ""), attributes.get("value", ""), kind, "checked" in attributes)
            )


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def attribute(html: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', html)
    assert found, f"no {name} attribute in the page"
    return unescape(found.group(1))


@dataclass
class SignIn:
    """The end of a sign-in at the emulator: the callback URL Xero sent the window to."""

    callback_url: str


class AdminActions:
    """One admin (or member) in one CRM account, with the page's session token once /admin is open."""

    def __init__(self, panel_url: str, emulator_url: str, clock: FixedClock, account: str, role: str = "admin",
                 user_id: str = "u1") -> None:
        self.panel_url = panel_url
        self.emulator_url = emulator_url
        self.clock = clock
        self.account = account
        self.role = role
        self.user_id = user_id
        self.session_token = ""
        self.page = requests.Session()  # the iframe: no cookies are relied on, but a browser would have a jar
        self.window = requests.Session()  # the sign-in window

    # -- the iframe -----------------------------------------------------------------------------------------------

    def context(self, **overrides) -> str:
        claims = {**context_claims(self.account, role=self.role, user_id=self.user_id), **overrides}
        return encode_context(claims, CONTEXT_SECRET, clock=self.clock)

    def open(self, context: str | None = None) -> requests.Response:
        response = self.page.get(f"{self.panel_url}/admin", params={"context": context or self.context()}, timeout=10)
        found = re.search(r'"X-Panel-Session": "([^"]+)"', response.text)
        self.session_token = found.group(1) if found else ""
        return response

    def get(self, path: str, **params) -> requests.Response:
        return self.page.get(self.panel_url + path, params=params, headers=self._headers(), timeout=10)

    def post(self, path: str, data: dict | None = None) -> requests.Response:
        return self.page.post(self.panel_url + path, data=data or {}, headers=self._headers(), timeout=10)

    def _headers(self) -> dict[str, str]:
        headers = {"HX-Request": "true"}
        if self.session_token:
            headers[SESSION_HEADER] = self.session_token
        return headers

    # -- the sign-in window ---------------------------------------------------------------------------------------

    def sign_in_url(self) -> str:
        """Press Connect: the page answers with the one-time link the window opens."""
        response = self.post("/admin/connect/ticket")
        assert response.status_code == 200, response.text
        return urljoin(self.panel_url, attribute(response.text, "data-sign-in-url"))

    def continue_to_xero(self, sign_in_url: str, **headers: str) -> requests.Response:
        """Open the one-time link in the window (a page asking to continue), then press "Continue to Xero"."""
        question = self.window.get(sign_in_url, allow_redirects=False, timeout=10)
        assert question.status_code == 200, question.text
        [form] = [form for form in forms_in(question.text) if "ticket" in form.field_names()]
        assert form.method == "post"
        return self.window.post(urljoin(question.url, form.action), data=form.values(), headers=headers,
                                allow_redirects=False, timeout=10)

    def sign_in_at_xero(self, *, tenant_names: list[str] | None = None, password: str = DEMO_PASSWORD) -> SignIn:
        """Connect → our start page → Continue to Xero → Xero's sign-in form → consent (tick organisations) → Allow."""
        start = self.continue_to_xero(self.sign_in_url())
        assert start.status_code in (302, 303), start.text
        authorize_url = start.headers["Location"]
        assert authorize_url.startswith(self.emulator_url + "/identity/connect/authorize")
        page = self.window.get(authorize_url, timeout=10)
        page = self._submit_sign_in(page, password)
        return SignIn(self._submit_consent(page, tenant_names))

    def _submit_sign_in(self, page: requests.Response, password: str) -> requests.Response:
        form = next(form for form in forms_in(page.text) if "password" in form.field_names())
        email_field = next(name for name in form.field_names() if "email" in name or "user" in name)
        return self._submit(page, form, {email_field: DEMO_EMAIL, "password": password})

    def _submit_consent(self, page: requests.Response, tenant_names: list[str] | None) -> str:
        form = forms_in(page.text)[0]
        overrides: dict = {}
        tenant_field = next((name for name in form.field_names() if "tenant" in name), None)
        if tenant_names is not None and tenant_field:
            overrides[tenant_field] = [self._tenant_id(page.text, name) for name in tenant_names]
        allow = next((name, value) for name, value, kind, _ in form.fields if kind == "submit" and
                     ("allow" in (value + name).lower()))
        overrides[allow[0]] = allow[1]
        answer = self._submit(page, form, overrides, follow=False)
        assert answer.status_code in (302, 303), answer.text
        return answer.headers["Location"]

    def _tenant_id(self, html: str, name: str) -> str:
        found = re.search(r'value="([^"]+)"[^>]*>\s*' + re.escape(name), html)
        assert found, f"organisation {name} is not offered on the consent page"
        return found.group(1)

    def _submit(self, page: requests.Response, form: Form, overrides: dict, follow: bool = True) -> requests.Response:
        url = urljoin(page.url, form.action or page.url)
        data = form.values(**overrides)
        if form.method == "post":
            return self.window.post(url, data=data, allow_redirects=follow, timeout=10)
        return self.window.get(url, params=data, allow_redirects=follow, timeout=10)

    def finish(self, sign_in: SignIn) -> requests.Response:
        """Xero sends the window to our callback."""
        assert urlsplit(sign_in.callback_url).path == "/admin/oauth/callback"
        return self.window.get(sign_in.callback_url, allow_redirects=False, timeout=10)

    def connect(self, **options) -> requests.Response:
        return self.finish(self.sign_in_at_xero(**options))


@dataclass
class PanelServer:
    url: str
    app: object
    clock: FixedClock

    def admin(self, emulator, account: str = "acct-1", role: str = "admin", user_id: str = "u1") -> AdminActions:
        return AdminActions(self.url, emulator.url, self.clock, account, role, user_id)


@pytest.fixture
def panel_server(emulator, tmp_path):
    """The panel app served on 127.0.0.1 with PUBLIC_URL set to where it listens, talking to the emulator."""
    clock = FixedClock.at(TODAY)
    app = create_app({
        "TESTING": True,
        "CLOCK": clock,
        "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite",
        "XERO_EMULATOR_URL": emulator.url,
        "CONTEXT_SECRET": CONTEXT_SECRET,
        "CONTEXT_ISSUER": ISSUER,
        "CONTEXT_AUDIENCE": AUDIENCE,
    })
    server = serve_in_thread(app)
    app.config["PUBLIC_URL"] = server.url  # the port is known only once it listens
    emulator.state.register_redirect_uri(f"{server.url}/admin/oauth/callback")
    yield PanelServer(server.url, app, clock)
    server.stop()


@pytest.fixture
def admin(panel_server, emulator) -> AdminActions:
    return panel_server.admin(emulator)
