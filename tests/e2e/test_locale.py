"""Amounts and dates in the rep's locale (Babel, per invoice currency) and times in the rep's zone:
de-DE through the demo CRM's German-speaking rep, ja-JP through a context signed here."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from plugin.embed.context import encode_context
from tests.e2e.driving import open_panel

pytestmark = pytest.mark.browser


def test_a_german_rep_sees_german_amounts_dates_and_berlin_time(page, connected_demo):
    customer = connected_demo.customer(4)
    panel, frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(customer), user="rep-de")
    fetched = connected_demo.clock.now().astimezone(ZoneInfo("Europe/Berlin"))
    assert frame.evaluate("document.documentElement.lang") == "de-DE"
    german_amount = re.compile(r"^\d{1,3}(\.\d{3})*,\d{2}\xa0\S+$")  # 34.780,12 $
    expect(panel.locator(".owed:not([hidden]) .owed__amount")).to_have_text(german_amount)
    expect(panel.locator("tr.invoice .invoice__date").first).to_have_text(re.compile(r"^\d{2}\.\d{2}\.\d{2,4}$"))
    expect(panel.locator(".freshness__time time")).to_have_text(fetched.strftime("%H:%M"))


def test_a_german_rep_reads_the_panel_in_german(page, connected_demo):
    """Lena Vertrieb (de-DE) in the demo CRM: the panel's words are German (Flask-Babel, plugin/translations/de)."""
    customer = connected_demo.customer(4)
    panel, _frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(customer), user="rep-de")
    expect(panel.locator("#summary-title")).to_have_text("Offen")
    expect(panel.locator(".paid__toggle")).to_have_text("Insgesamt bezahlt")
    expect(panel.locator(".fold-toggle__text")).to_have_text("Filter")
    expect(panel.locator("#tab-overdue .views__label")).to_have_text("Überfällig")
    expect(panel.locator(".freshness button")).to_contain_text("Aktualisieren")
    panel.locator("#tab-overdue").click()
    expect(panel.locator('#tab-overdue[aria-selected="true"]')).to_be_visible()
    expect(panel.locator("tr.invoice .status").first).to_have_text(re.compile(r"^\d+ Tage? überfällig"))
    text = panel.locator("#panel").inner_text()
    for english in ("Total paid", "Refresh", "days overdue", "Owed"):
        assert english not in text, english


def _japanese_context(demo, customer: dict) -> str:
    claims = {
        "iss": "demo-crm", "aud": "xero-invoice-panel", "jti": secrets.token_hex(8), "account": demo.handle.account_id,
        "user": {"id": "rep-ja", "email": "haruto@acme-crm.example", "name": "Haruto", "role": "member",
                 "locale": "ja-JP", "tz": "Asia/Tokyo"},
        "record": {"type": "contact", "id": "ja-1", "name": customer["name"], "email": customer["email"],
                   "company": customer["name"]},
    }
    return encode_context(claims, demo.handle.context_secret, clock=demo.clock)


def test_a_japanese_rep_sees_yen_without_decimals_and_japanese_dates(page, connected_demo):
    demo = connected_demo
    tenant_id, customer = demo.organisation["tenant_id"], demo.customer(6)
    demo.emulator.create_invoice(tenant_id, customer["contact_id"], currency="JPY", amount="125000",
                                 number="INV-JPY-1", date="2026-02-03", due_date="2026-12-31")
    page.goto(f"{demo.handle.panel_url}/panel?{urlencode({'context': _japanese_context(demo, customer)})}")
    page.wait_for_selector("#panel")
    assert page.evaluate("document.documentElement.lang") == "ja-JP"
    row = page.locator("tr.invoice").filter(has_text="INV-JPY-1")
    expect(row.locator(".invoice__headline")).to_have_text(re.compile(r"^[￥¥][\d,]+$"))
    assert "." not in row.locator(".invoice__headline").inner_text()
    expect(row.locator(".invoice__date")).to_have_text("2026/02/03")
    fetched = demo.clock.now().astimezone(ZoneInfo("Asia/Tokyo"))
    expect(page.locator(".freshness__time time")).to_contain_text(fetched.strftime("%H:%M").lstrip("0"))
