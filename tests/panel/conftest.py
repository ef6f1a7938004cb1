"""Panel fixtures: the app against the served emulator, a connected organisation, and `PanelActions`
that open the panel with a signed CRM context and then act as htmx would (session header, HX-Request)."""

from __future__ import annotations

import re
import secrets
from html import unescape

import pytest

from plugin import create_app
from plugin.embed.context import encode_context
from plugin.storage import get_database
from plugin.xero.parse import parse_token_set

CONTEXT_SECRET = "panel-tests-context-secret-0123456789"
SESSION_PATTERN = re.compile(r"hx-headers='([^']*)'")


@pytest.fixture
def panel_app(tmp_path, clock, emulator):
    return create_app({
        "TESTING": True,
        "CLOCK": clock,
        "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite",
        "XERO_EMULATOR_URL": emulator.url,
        "CONTEXT_SECRET": CONTEXT_SECRET,
        "CACHE_TTL": 60,
        "SECRET_KEY": "panel-tests-secret-key",
    })


@pytest.fixture
def tenant(emulator) -> dict[str, str]:
    return emulator.state.tenants[0]


@pytest.fixture
def connected(panel_app, emulator, tenant, clock):
    """Account "acct-1" connected to the first seeded organisation, as the admin flow leaves it."""
    tokens = parse_token_set(emulator.state.issue_token_set(), clock.now())
    connections = get_database(panel_app).connections
    connections.store_consent("acct-1", tokens, connected_by_email="demo@example.com")
    connections.choose_tenant("acct-1", tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate("acct-1")
    emulator.state.reset_call_counts()
    return tenant


class PanelActions:
    """A rep in the CRM: open the panel on a record, then click around as htmx would."""

    def __init__(self, app, clock, emulator) -> None:
        self.app = app
        self.client = app.test_client()
        self.clock = clock
        self.emulator = emulator
        self.session = ""

    def context(self, record: dict, *, role: str = "member", locale: str = "en-NZ", tz: str = "Pacific/Auckland",
                account: str = "acct-1", user_id: str = "u1") -> str:
        claims = {
            "iss": "demo-crm", "aud": "xero-invoice-panel", "jti": secrets.token_hex(8), "account": account,
            "user": {"id": user_id, "email": "rep@example.com", "name": "Rep", "role": role, "locale": locale,
                     "tz": tz},
            "record": record,
        }
        return encode_context(claims, CONTEXT_SECRET, clock=self.clock)

    def open(self, record: dict, **who):
        response = self.client.get("/panel", query_string={"context": self.context(record, **who)})
        found = SESSION_PATTERN.search(response.get_data(as_text=True))
        self.session = unescape(found.group(1)).split('"X-Panel-Session": "')[1].split('"')[0] if found else ""
        return response

    def _headers(self, htmx: bool) -> dict[str, str]:
        headers = {"X-Panel-Session": self.session}
        if htmx:
            headers["HX-Request"] = "true"
        return headers

    def get(self, path: str, htmx: bool = True, **params):
        return self.client.get(path, query_string=params, headers=self._headers(htmx))

    def post(self, path: str, htmx: bool = True, **form):
        return self.client.post(path, data=form, headers=self._headers(htmx))

    def calls(self) -> int:
        return self.emulator.state.api_calls()


@pytest.fixture
def panel(panel_app, clock, emulator) -> PanelActions:
    return PanelActions(panel_app, clock, emulator)


def contact_record(customer: dict, **overrides) -> dict:
    record = {"type": "contact", "id": f"c-{customer['contact_id'][:8]}", "name": customer["name"],
              "email": customer["email"]}
    return {**record, **overrides}


def text_of(response) -> str:
    """The response as the rep reads it (entities decoded)."""
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def customer(emulator, connected) -> dict:
    """The seeded customer with every case: drafts, overdue, part-paid in instalments, credit, foreign currency."""
    return emulator.state.customers(connected["tenant_id"])[4]


@pytest.fixture
def opened(panel, customer):
    """The panel opened on that customer's CRM contact; Xero calls counted from here on."""
    response = panel.open(contact_record(customer))
    assert response.status_code == 200
    panel.emulator.state.reset_call_counts()
    return response
