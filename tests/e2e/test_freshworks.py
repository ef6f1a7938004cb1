"""Headless Chromium on the dev kit's Freshsales: the Freshworks app's own front end runs in the contact, account and
deal placeholders with the stub FDK client, its invoke runs the serverless function under Node, and the panel it
frames shows the record's invoices. An admin connects Xero from the app's "Xero settings"; a rep has no such
button."""

from __future__ import annotations

import re
import shutil

import pytest

from devkit.freshworks import start_freshworks_world
from devkit.freshworks.state import ADMIN_ID, REP_ID
from plugin.domain.clock import FixedClock
from tests.conftest import TODAY
from tests.e2e.driving import DEMO_EMAIL, DEMO_PASSWORD
from tests.hosts.conftest import connect_xero

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")]

WAIT = 20_000  # ms: the machine is shared, and a cold panel view waits for the emulator
APP = "#fdk-app"
PANEL = "#panel"


def _world(tmp_path_factory, name: str):
    return start_freshworks_world(clock=FixedClock.at(TODAY), data_dir=tmp_path_factory.mktemp(name),
                                  panel_config={"SECRET_KEY": "browser-freshworks-secret-key"})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    started = _world(tmp_path_factory, "freshworks-browser")
    connect_xero(started, account=started.account)
    yield started
    started.stop()


def as_user(browser, world, user_id: int):
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    host = world.freshsales_url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "fs_user", "value": str(user_id), "domain": host, "path": "/"}])
    return context


def open_record(page, world, kind: str, record_id: int):
    page.goto(f"{world.freshsales_url}/{kind}/{record_id}")
    app = page.frame_locator(APP)
    app.locator(f"{PANEL}:not([hidden])").wait_for(timeout=30_000)
    panel = app.frame_locator(PANEL)
    panel.locator("#panel, main").first.wait_for(timeout=30_000)
    return app, panel


def test_a_rep_sees_a_contacts_an_accounts_and_a_deals_invoices(browser, world):
    from playwright.sync_api import expect

    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    by_email = {c["email"]: c for c in customers if c.get("email")}
    contact = next(c for c in world.freshsales.contacts.values() if c["email"] in by_email)
    context = as_user(browser, world, REP_ID)
    page = context.new_page()
    try:
        app, panel = open_record(page, world, "contacts", contact["id"])
        expect(panel.get_by_text(by_email[contact["email"]]["name"]).first).to_be_visible(timeout=WAIT)
        expect(panel.locator("tr.invoice").first).to_be_visible(timeout=WAIT)
        expect(app.locator("#settings")).to_be_hidden(timeout=WAIT)  # a member gets no Xero settings
        expect(page.locator(APP)).to_have_attribute("style", "height: 700px;", timeout=WAIT)  # instance.resize

        # The same panel in a window of its own, with a fresh context (each is used once).
        with page.expect_popup() as popped:
            app.locator("#window").click()
        window = popped.value
        expect(window.locator("tr.invoice").first).to_be_visible(timeout=WAIT)
        # The page drops the launch token (what remains is the session in the fragment, for Back and Forward).
        expect(window).to_have_url(re.compile(re.escape(world.panel_url + "/panel") + r"(#s=.+)?$"), timeout=WAIT)
        window.close()

        account_id = contact["sales_accounts"][0]["id"]
        _, panel = open_record(page, world, "accounts", account_id)
        expect(panel.get_by_text(world.freshsales.sales_accounts[account_id]["name"]).first).to_be_visible(timeout=WAIT)
        expect(panel.locator("tr.invoice").first).to_be_visible(timeout=WAIT)

        deal = next(d for d in world.freshsales.deals.values() if d["sales_account_id"] == account_id)
        _, panel = open_record(page, world, "deals", deal["id"])
        expect(panel.locator("tr.invoice").first).to_be_visible(timeout=WAIT)
    finally:
        context.close()


def test_an_admin_connects_xero_from_the_apps_settings(browser, tmp_path_factory):
    from playwright.sync_api import expect

    fresh = _world(tmp_path_factory, "freshworks-browser-admin")
    context = as_user(browser, fresh, ADMIN_ID)
    try:
        page = context.new_page()
        app, _ = open_record(page, fresh, "contacts", next(iter(fresh.freshsales.contacts)))
        app.locator("#settings").click()
        admin = app.frame_locator(PANEL)
        with page.expect_popup() as opened:
            admin.get_by_role("button", name="Connect to Xero").click()
        window = opened.value
        window.get_by_role("button", name="Continue to Xero").click()
        window.fill("input[name=email]", DEMO_EMAIL)
        window.fill("input[name=password]", DEMO_PASSWORD)
        window.click("button[type=submit]")
        window.click("button[value=allow]")
        window.wait_for_selector("text=You can close this window")
        window.close()
        admin.locator('#xero-connection[data-state="pending"]').wait_for(timeout=WAIT)
        organisation = fresh.emulator_state.tenants[0]["name"]
        radio = admin.get_by_role("radio", name=organisation)
        if radio.count():
            radio.check()
            admin.get_by_role("button", name="Use this organisation").click()
        admin.locator(f'[data-field="organisation"]:text-is("{organisation}")').wait_for(timeout=WAIT)
        admin.get_by_role("button", name="Save").click()
        admin.locator('#xero-connection[data-state="active"]').wait_for(timeout=WAIT)
        expect(app.locator("#invoices")).to_be_visible(timeout=WAIT)
    finally:
        context.close()
        fresh.stop()
