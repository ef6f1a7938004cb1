"""Headless Chromium (the package's one, tests/e2e/conftest.py) on the dev kit's Salesforce: a record page POSTs a
signed request into the canvas iframe, as Canvas does, and the panel in it shows a contact's invoices; a rep's
settings page says only admins connect Xero, and an admin connects Xero from it through the real popup."""

from __future__ import annotations

import pytest

from devkit.salesforce import start_salesforce_world
from devkit.salesforce.state import ACME_ORG, ADMIN_ID, REP_ID
from plugin.domain.clock import FixedClock
from tests.conftest import TODAY
from tests.hosts.conftest import connect_xero

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CANVAS = "iframe[data-canvas]"


def _world(tmp_path_factory, name: str):
    return start_salesforce_world(clock=FixedClock.at(TODAY), data_dir=tmp_path_factory.mktemp(name),
                                  panel_config={"SECRET_KEY": "browser-salesforce-secret-key"})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    started = _world(tmp_path_factory, "salesforce-browser")
    connect_xero(started, f"salesforce:{ACME_ORG}")
    yield started
    started.stop()


@pytest.fixture
def fresh_world(tmp_path_factory):
    started = _world(tmp_path_factory, "salesforce-browser-fresh")
    yield started
    started.stop()


def as_user(browser, world, user_id: str):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    host = world.salesforce_url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "sf_user", "value": f"{ACME_ORG}:{user_id}", "domain": host, "path": "/"}])
    return context


def test_a_contact_page_shows_the_contacts_invoices_in_the_canvas(browser, world):
    from playwright.sync_api import expect

    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    by_email = {c["email"]: c for c in customers if c.get("email")}
    contact = next(c for c in world.salesforce.org(ACME_ORG).contacts.values()
                   if c["Email"] in by_email and [x.get("email") for x in customers].count(c["Email"]) == 1)
    context = as_user(browser, world, REP_ID)
    try:
        page = context.new_page()
        page.goto(f"{world.salesforce_url}/lightning/r/Contact/{contact['Id']}/view")
        frame = page.frame_locator(CANVAS)
        expect(frame.get_by_text(by_email[contact["Email"]]["name"]).first).to_be_visible(timeout=15_000)
        expect(frame.locator("tr.invoice").first).to_be_visible()
        panel = next(f for f in page.frames if "/panel" in f.url)
        # The one-time hand-over is already out of the address (the fragment holds the session, for Back and Forward).
        assert panel.url.split("#", 1)[0] == world.panel_url + "/panel"
        frame.locator("#tab-paid").click()  # a follow-up request with the panel session works inside Salesforce
        expect(frame.locator("#tab-paid")).to_have_attribute("aria-selected", "true")
    finally:
        context.close()


def test_a_rep_can_not_connect_xero_and_an_admin_can(browser, fresh_world):
    from playwright.sync_api import expect

    rep = as_user(browser, fresh_world, REP_ID)
    try:
        page = rep.new_page()
        page.goto(f"{fresh_world.salesforce_url}/lightning/n/Xero_Invoices_Settings")
        expect(page.frame_locator(CANVAS).get_by_text("Xero Invoices Admin permission set")).to_be_visible()
    finally:
        rep.close()

    admin_context = as_user(browser, fresh_world, ADMIN_ID)
    try:
        page = admin_context.new_page()
        page.goto(f"{fresh_world.salesforce_url}/lightning/n/Xero_Invoices_Settings")
        admin = page.frame_locator(CANVAS)
        with page.expect_popup() as opened:
            admin.get_by_role("button", name="Connect to Xero").click()
        window = opened.value
        window.get_by_role("button", name="Continue to Xero").click()
        window.fill("input[name=email]", "demo@example.com")
        window.fill("input[name=password]", "demo")
        window.click("button[type=submit]")
        for box in window.locator("input[name=tenant]").all():
            box.check()
        window.click("button[value=allow]")
        window.wait_for_selector("text=You can close this window")
        window.close()
        organisation = fresh_world.emulator_state.tenants[0]["name"]
        admin.locator('#xero-connection[data-state="pending"]').wait_for()
        admin.get_by_role("radio", name=organisation).check()
        admin.get_by_role("button", name="Use this organisation").click()
        admin.locator(f'[data-field="organisation"]:text-is("{organisation}")').wait_for()  # swapped in before Save
        admin.get_by_role("button", name="Save").click()
        admin.locator('#xero-connection[data-state="active"]').wait_for()
    finally:
        admin_context.close()
