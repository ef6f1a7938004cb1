"""Headless Chromium (the package's one, tests/e2e/conftest.py) on the dev kit's Pipedrive page: the panel
initialises through the vendored SDK within Pipedrive's 10 s, sizes its frame through it, renews its session with
GET_SIGNED_TOKEN, follows the theme and shows a person's, an organization's and a deal's invoices; an admin connects
Xero from the settings surface, a rep can't; a frame that never initialises is hidden."""

from __future__ import annotations

import re
import time

import pytest

from devkit.pipedrive import start_pipedrive_world
from devkit.pipedrive.state import ACME_ID, ADMIN_ID, REP_ID
from plugin.domain.clock import FixedClock
from tests.conftest import TODAY
from tests.hosts.conftest import connect_xero, install

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FRAME = "[data-app-frame] iframe"
INITIALISED = '[data-app-frame][data-state="initialized"]'


def _world(tmp_path_factory, name: str):
    return start_pipedrive_world(clock=FixedClock.at(TODAY), data_dir=tmp_path_factory.mktemp(name),
                                 panel_config={"SECRET_KEY": "browser-pipedrive-secret-key"})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Installed by Acme's admin and connected to Xero; reps open records."""
    started = _world(tmp_path_factory, "pipedrive-browser")
    assert install(started).status_code == 200
    connect_xero(started)
    yield started
    started.stop()


@pytest.fixture
def fresh_world(tmp_path_factory):
    started = _world(tmp_path_factory, "pipedrive-browser-fresh")
    yield started
    started.stop()


def as_user(browser, world, user_id: int, theme: str = "light"):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    host = world.pipedrive_url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "pd_user", "value": f"{ACME_ID}:{user_id}", "domain": host, "path": "/"},
                         {"name": "pd_theme", "value": theme, "domain": host, "path": "/"}])
    return context


def open_record(page, world, resource: str, record_id: int):
    started = time.monotonic()
    page.goto(f"{world.pipedrive_url}/{resource}/{record_id}")
    page.wait_for_selector(INITIALISED, timeout=10_000)  # Pipedrive's own limit
    assert time.monotonic() - started < 10
    frame = page.frame_locator(FRAME)
    frame.locator("#panel, main.host-message").first.wait_for()
    return frame


def test_the_panel_initialises_resizes_renews_and_shows_each_record_type(browser, world):
    from playwright.sync_api import expect

    company = world.pipedrive.company(ACME_ID)
    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    emails = {c["email"].lower(): c for c in customers if c.get("email")}
    person = next(p for p in company.persons.values()
                  if p["emails"] and p["emails"][0]["value"] == p["emails"][0]["value"].lower()
                  and p["emails"][0]["value"] in emails)
    context = as_user(browser, world, REP_ID)
    page = context.new_page()
    try:
        frame = open_record(page, world, "person", person["id"])
        expect(frame.get_by_text(emails[person["emails"][0]["value"]]["name"]).first).to_be_visible()
        messages = page.evaluate("window.pipedriveHost.messages")
        assert messages[0]["command"] == "initialize"

        # Sized through the SDK: initialised at the page's height, resized when a view with fewer rows shows,
        # always within Pipedrive's 100-750 px.
        inner = page.frame_locator(FRAME)
        first = page.evaluate("window.pipedriveHost.heights")
        assert len(first) == 1 and first[0] > 100
        inner.locator("#tab-pinned").click()
        page.wait_for_function(f"window.pipedriveHost.heights.length > {len(first)}")
        heights = page.evaluate("window.pipedriveHost.heights")
        assert all(100 <= h <= 750 for h in heights) and heights[-1] < first[0]
        expect(page.locator(FRAME)).to_have_attribute("style", re.compile(f"height: {heights[-1]}px"))

        # Session renewed through GET_SIGNED_TOKEN; the next click works with the renewed session.
        panel_frame = next(f for f in page.frames if "/panel" in f.url)
        before = panel_frame.evaluate("document.body.getAttribute('hx-headers')")
        assert panel_frame.evaluate("window.xeroPanelPipedrive.renew()") is True
        assert page.evaluate("window.pipedriveHost.tokens") == 1
        assert any(m["command"] == "get_signed_token" for m in page.evaluate("window.pipedriveHost.messages"))
        assert panel_frame.evaluate("document.body.getAttribute('hx-headers')") != before
        inner.locator("#tab-paid").click()
        expect(inner.locator("#tab-paid")).to_have_attribute("aria-selected", "true")

        organization = company.organizations[person["org_id"]]
        frame = open_record(page, world, "organization", organization["id"])
        expect(frame.get_by_text(organization["name"]).first).to_be_visible()
        expect(frame.locator("tr.invoice").first).to_be_visible()

        deal = next(d for d in company.deals.values() if d["org_id"] == organization["id"]) if any(
            d["org_id"] == organization["id"] for d in company.deals.values()) else next(iter(company.deals.values()))
        frame = open_record(page, world, "deal", deal["id"])
        expect(frame.locator("tr.invoice").first).to_be_visible()
    finally:
        context.close()


def test_the_panel_follows_the_users_theme(browser, world):
    context = as_user(browser, world, REP_ID, theme="dark")
    page = context.new_page()
    try:
        open_record(page, world, "organization", next(iter(world.pipedrive.company(ACME_ID).organizations)))
        panel_frame = next(f for f in page.frames if "/panel" in f.url)
        assert panel_frame.evaluate("document.documentElement.dataset.theme") == "dark"
        background = panel_frame.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)"
        page.select_option("[data-testid=theme-picker]", "light")  # Pipedrive's user_settings_change
        panel_frame.wait_for_function("document.documentElement.dataset.theme === 'light'")
    finally:
        context.close()


def test_an_admin_connects_xero_from_the_settings_surface_and_a_rep_cannot(browser, fresh_world):
    from playwright.sync_api import expect

    assert install(fresh_world).status_code == 200
    rep = as_user(browser, fresh_world, REP_ID)
    try:
        page = rep.new_page()
        page.goto(f"{fresh_world.pipedrive_url}/settings/app")
        page.wait_for_selector(INITIALISED, timeout=10_000)
        expect(page.frame_locator(FRAME).get_by_text("Only Pipedrive admins can connect Xero")).to_be_visible()
    finally:
        rep.close()

    admin_context = as_user(browser, fresh_world, ADMIN_ID)
    try:
        page = admin_context.new_page()
        page.goto(f"{fresh_world.pipedrive_url}/settings/app")
        page.wait_for_selector(INITIALISED, timeout=10_000)
        admin = page.frame_locator(FRAME)
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


def test_a_frame_that_does_not_initialise_is_hidden_after_ten_seconds(browser, fresh_world):
    fresh_world.pipedrive.app.panel_url = fresh_world.panel_url + "/healthz"  # a page without the SDK
    context = as_user(browser, fresh_world, REP_ID)
    try:
        page = context.new_page()
        person_id = next(iter(fresh_world.pipedrive.company(ACME_ID).persons))
        page.goto(f"{fresh_world.pipedrive_url}/person/{person_id}")
        page.wait_for_selector('[data-app-frame][data-state="hidden"]', timeout=12_000)
        assert page.locator(FRAME).is_hidden()
        assert page.locator("[data-frame-failed]").is_visible()
    finally:
        context.close()
