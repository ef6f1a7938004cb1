"""Script and HTML in every Xero text the panel and admin pages render, and in the search boxes: shown as text
(escaped in the HTML), never as markup. The only <script> elements are the app's own, loaded by src."""

from __future__ import annotations

import dataclasses
import re
from html import unescape

import pytest
from markupsafe import escape

from devkit.emulator.seed import SCRIPT_CONTACT_NAME
from tests.security.conftest import PanelActions, contact_record

PAYLOADS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
]


def assert_shown_as_text(raw: str, payload: str) -> None:
    assert payload not in raw, f"{payload!r} reached the page unescaped"
    assert str(escape(payload)) in raw, f"{payload!r} is not on the page as text"
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", raw)), "only the app's own scripts"


@pytest.fixture
def hostile(emulator, connected, customer):
    """The customer's data as a hostile Xero user could type it."""
    state, tenant_id = emulator.state, connected["tenant_id"]

    def plant(payload: str) -> str:
        with state.lock:
            contact = state.orgs[tenant_id].contacts[customer["contact_id"]]
            contact.name = payload
            state.data_changed = True  # the emulator fixture re-seeds afterwards
        invoice_id = state.create_invoice(tenant_id, customer["contact_id"], number=payload, reference=payload,
                                          date="2026-02-27", due_date="2026-03-20")
        state.add_payment(invoice_id, "10.00", reference=payload)
        return invoice_id

    return plant


@pytest.mark.parametrize("payload", PAYLOADS)
def test_contact_names_invoice_numbers_and_payment_references_are_text(panel, customer, hostile, payload):
    hostile(payload)
    response = panel.open(contact_record(customer))
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_shown_as_text(raw, payload)
    assert raw.count(str(escape(payload))) >= 4, "title, heading, row, pin label and payment reference"


def test_the_seeded_script_named_customer_is_text(panel, emulator, connected):
    scripted = next(c for c in emulator.state.customers(connected["tenant_id"]) if c["name"] == SCRIPT_CONTACT_NAME)
    raw = panel.open(contact_record(scripted)).get_data(as_text=True)
    assert_shown_as_text(raw, SCRIPT_CONTACT_NAME)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_invoice_search_box_echoes_text(panel, customer, payload):
    panel.open(contact_record(customer))
    raw = panel.get("/panel/invoices", q=payload).get_data(as_text=True)
    assert_shown_as_text(raw, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_contact_search_box_echoes_text(panel, customer, hostile, payload):
    hostile(payload)  # the contact is now named `payload`, so the search finds and lists it
    panel.open(contact_record(customer, email="nobody@nowhere.test"))
    raw = panel.get("/panel/contacts", contact_q=payload).get_data(as_text=True)
    assert_shown_as_text(raw, payload)
    assert 'class="contact-results__name"' in raw, "the hostile contact was found and listed"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_organisation_names_are_text_on_the_admin_pages(panel_app, clock, emulator, connected, customer, payload):
    state = emulator.state
    with state.lock:
        data = state.orgs[connected["tenant_id"]]
        data.org = dataclasses.replace(data.org, name=payload)
        state.data_changed = True
    admin = PanelActions(panel_app, clock, emulator)
    opened = admin.client.get("/admin", query_string={"context": admin.context(contact_record(customer),
                                                                               role="admin")})
    admin.session = re.search(r'"X-Panel-Session": "([^"]+)"', unescape(opened.get_data(as_text=True)))[1]
    picker = admin.get("/admin/organisations").get_data(as_text=True)
    assert_shown_as_text(picker, payload)
    chosen = admin.post("/admin/organisation", tenant_id=connected["tenant_id"]).get_data(as_text=True)
    assert_shown_as_text(chosen, payload)
    assert_shown_as_text(admin.get("/admin/diagnostics").get_data(as_text=True), payload)
