"""Security fixtures: the panel app and rep of tests/panel (account "acct-1" on the first organisation),
a second account "acct-2" on the second organisation, and helpers to read what a response gives away."""

from __future__ import annotations

import re

import pytest

from plugin.storage import get_database
from plugin.xero.parse import parse_token_set
from tests.panel.conftest import (  # noqa: F401  (fixtures)
    CONTEXT_SECRET,
    PanelActions,
    connected,
    contact_record,
    panel,
    panel_app,
    tenant,
    text_of,
)

SESSION_IN_PAGE = re.compile(r'X-Panel-Session(&#34;|&quot;|")')


def connect_account(app, emulator, clock, account: str, tenant: dict) -> dict:  # noqa: F811
    """`account` connected and saved on `tenant`, as the admin flow leaves it (see tests/panel `connected`)."""
    tokens = parse_token_set(emulator.state.issue_token_set(), clock.now())
    connections = get_database(app).connections
    connections.store_consent(account, tokens, connected_by_email="demo@example.com")
    connections.choose_tenant(account, tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate(account)
    return tenant


@pytest.fixture
def other_account(panel_app, emulator, clock, connected) -> dict:  # noqa: F811
    """Account "acct-2" on the second organisation (acct-1 keeps the first)."""
    return connect_account(panel_app, emulator, clock, "acct-2", emulator.state.tenants[1])


@pytest.fixture
def customer(emulator, connected) -> dict:  # noqa: F811
    return emulator.state.customers(connected["tenant_id"])[4]


def gives_nothing_away(response) -> None:
    """A refusal: no panel session handed out, no invoice rows, no organisation data."""
    raw = response.get_data(as_text=True)
    assert not SESSION_IN_PAGE.search(raw), "a refused request must not hand out a panel session"
    assert 'class="invoice__number"' not in raw
    assert 'id="panel"' not in raw
