"""Headless Chromium (the package's one, tests/e2e/conftest.py) on the dev kit's HubSpot: a rep's contact record
hosts the app card, which shows the customer, owed and overdue, ageing and the most urgent invoices from our signed
JSON, and opens the full panel in the iframe modal; a super admin sets Xero up from the card's modal."""

from __future__ import annotations

import pytest

from devkit.hubspot import start_hubspot_world
from devkit.hubspot.state import ACME_ID, ADMIN_ID, REP_ID
from plugin.domain.clock import FixedClock
from tests.conftest import TODAY
from tests.hosts.hubspot_support import connect_xero, install, matched_contact

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODAL_FRAME = "[data-testid=modal-frame]"


def _world(tmp_path_factory, name: str):
    return start_hubspot_world(clock=FixedClock.at(TODAY), data_dir=tmp_path_factory.mktemp(name),
                               panel_config={"SECRET_KEY": "browser-hubspot-secret-key"})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    started = _world(tmp_path_factory, "hubspot-browser")
    assert install(started).status_code == 200
    connect_xero(started)
    yield started
    started.stop()


@pytest.fixture
def fresh_world(tmp_path_factory):
    started = _world(tmp_path_factory, "hubspot-browser-fresh")
    yield started
    started.stop()


def as_user(browser, world, user_id: int):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    host = world.hubspot_url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "hs_user", "value": f"{ACME_ID}:{user_id}", "domain": host, "path": "/"}])
    return context


def test_a_reps_contact_card_shows_the_invoices_and_opens_the_full_panel(browser, world):
    from playwright.sync_api import expect

    found = matched_contact(world)
    context = as_user(browser, world, REP_ID)
    try:
        page = context.new_page()
        page.goto(f"{world.hubspot_url}/contacts/{ACME_ID}/record/0-1/{found['contact']['id']}")
        expect(page.get_by_test_id("card-customer")).to_have_text(found["customer"]["name"])
        expect(page.get_by_test_id("card-totals")).to_contain_text("Owed (")
        expect(page.get_by_test_id("card-ageing")).to_contain_text("Over 90 days past due")
        urgent = page.get_by_test_id("card-urgent").locator("a")
        expect(urgent.first).to_be_visible()
        assert 1 <= urgent.count() <= 5
        assert urgent.first.get_attribute("href").startswith(world.emulator_url)
        expect(page.get_by_test_id("connect-xero")).to_have_count(0)

        page.get_by_test_id("open-panel").click()
        expect(page.get_by_test_id("iframe-modal")).to_be_visible()
        panel = page.frame_locator(MODAL_FRAME)
        expect(panel.get_by_text(found["customer"]["name"]).first).to_be_visible()
        expect(panel.locator("tr.invoice").first).to_be_visible()
        first_number = urgent.first.inner_text()
        panel.locator("#tab-overdue").click()
        expect(panel.locator("tr.invoice", has_text=first_number).first).to_be_visible()
    finally:
        context.close()


def test_a_super_admin_sets_up_xero_from_the_card(browser, fresh_world):
    from playwright.sync_api import expect

    assert install(fresh_world).status_code == 200
    contact = matched_contact(fresh_world)
    record = f"{fresh_world.hubspot_url}/contacts/{ACME_ID}/record/0-1/{contact['contact']['id']}"
    rep = as_user(browser, fresh_world, REP_ID)
    try:
        page = rep.new_page()
        page.goto(record)
        expect(page.get_by_test_id("card-message")).to_have_text("Xero isn't set up yet.")
        expect(page.get_by_test_id("connect-xero")).to_have_count(0)
    finally:
        rep.close()

    admin_context = as_user(browser, fresh_world, ADMIN_ID)
    try:
        page = admin_context.new_page()
        page.goto(record)
        page.get_by_test_id("connect-xero").click()
        admin = page.frame_locator(MODAL_FRAME)
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
        page.get_by_test_id("modal-close").click()
        expect(page.get_by_test_id("card-customer")).to_have_text(contact["customer"]["name"])
    finally:
        admin_context.close()
