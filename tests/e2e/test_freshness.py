"""In headless Chromium inside the CRM's sandboxed iframe: the panel refreshes itself when the emulator's data
changes (the demo's webhooks), and Unlink's in-page question works where hx-confirm's dialog was dropped."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plugin.domain.matching import RecordKey
from plugin.storage import get_database
from tests.e2e.driving import open_panel

pytestmark = pytest.mark.browser

RICH = 4


def test_an_open_panel_shows_a_new_invoice_within_seconds_without_a_click(page, connected_demo):
    customer = connected_demo.customer(RICH)
    panel, _ = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(customer))
    expect(panel.locator("#panel-title")).to_have_text(customer["name"])
    expect(panel.locator(".freshness__refreshing")).to_have_count(0)  # the expired data's follow-up has landed
    unpaid = int(panel.locator("#tab-unpaid .views__count").inner_text())
    connected_demo.clock.advance(1)  # the demo's clock stands still; the change comes after the fetch
    connected_demo.emulator.create_invoice(connected_demo.organisation["tenant_id"], customer["contact_id"],
                                           amount="42.00")
    expect(panel.locator("#tab-unpaid .views__count")).to_have_text(str(unpaid + 1), timeout=10_000)


def test_unlink_asks_in_the_page_and_unlinks_on_yes(page, connected_demo):
    customer = connected_demo.customer(RICH)
    record_id = connected_demo.contact_for(customer)
    handle = connected_demo.handle
    get_database(handle.panel_app).contact_links.set(
        handle.account_id, RecordKey("contact", record_id), connected_demo.organisation["tenant_id"],
        customer["contact_id"], contact_name=customer["name"], linked_by="test")
    with handle.panel_app.app_context():
        from plugin.services import services

        services().cache.clear()  # the remembered email match would hide the link
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    panel, _ = open_panel(page, connected_demo, "contacts", record_id)
    expect(panel.locator(".contact-line__how")).to_contain_text("Linked by hand")
    panel.locator("#panel-unlink > button", has_text="Unlink").click()
    yes = panel.locator("button", has_text="Yes, unlink")
    expect(yes).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel.locator("#panel-unlink > button", has_text="Unlink")).to_be_focused()
    panel.locator("#panel-unlink > button", has_text="Unlink").click()
    panel.locator("button", has_text="Yes, unlink").click()
    expect(panel.locator(".contact-line__how")).to_contain_text("Matched by the contact's email")
    assert dialogs == []
