"""The admin in the CRM's settings page: connect through Xero's sign-in popup, pick the organisation, save;
and remove the connection, after which a rep's panel says Xero isn't connected. Each test has its own demo,
because both change the connection."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.driving import (
    ADMIN_FRAME,
    DEMO_EMAIL,
    admin_frame,
    axe_violations,
    connect_through_popup,
    describe,
    open_panel,
    sign_in_through_popup,
)

pytestmark = pytest.mark.browser


def test_the_admin_connects_in_a_popup_picks_an_organisation_sees_its_name_and_email_and_saves(
    page, fresh_demo, artifacts, context
):
    problems: list = []
    seen = connect_through_popup(
        page, fresh_demo, screenshots=artifacts,  # axe at every step: each shows other buttons and words
        inspect=lambda step, frame: problems.extend({"step": step, **found} for found in axe_violations(frame)))
    assert seen["organisation"] == fresh_demo.organisation["name"]
    assert seen["connected_by"].startswith(DEMO_EMAIL)
    assert seen["status"].startswith("Live")
    assert problems == [], describe(problems)
    assert context.console_errors == []


def test_save_waits_while_the_chosen_organisation_is_on_its_way(page, fresh_demo):
    """A Save pressed while "Use this organisation" is still on its way would be answered first and then covered by
    the choice's answer, which says "Not saved yet": the section's buttons wait until the choice is back."""
    held: list = []

    def hold(route) -> None:  # the choice waits here until the test lets it go
        held.append(route)

    page.route("**/admin/organisation", hold)
    admin = sign_in_through_popup(page, fresh_demo)
    admin.get_by_role("radio", name=fresh_demo.organisation["name"]).check()
    admin.get_by_role("button", name="Use this organisation").click()
    save = admin.get_by_role("button", name="Save")

    expect(save).to_be_disabled()
    expect(admin.get_by_role("button", name="Remove")).to_be_disabled()
    for _ in range(100):  # Playwright hands the held request to `hold` while it waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    expect(admin.locator('[data-field="organisation"]')).to_have_text(fresh_demo.organisation["name"])
    expect(save).to_be_enabled()
    save.click()
    expect(admin.locator("#xero-connection")).to_have_attribute("data-state", "active")


def test_removing_the_connection_tells_the_reps_panel_that_xero_is_not_connected(browser, page, fresh_demo):
    connect_through_popup(page, fresh_demo)
    rep = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        rep_page = rep.new_page()
        contact = fresh_demo.contact_for(fresh_demo.customer(4))
        panel, _ = open_panel(rep_page, fresh_demo, "contacts", contact)
        expect(panel.locator("tr.invoice").first).to_be_visible()

        admin = page.frame_locator(ADMIN_FRAME)
        admin.get_by_role("button", name="Remove").click()
        admin.get_by_role("button", name="Yes, remove").click()  # asked in the page: a sandboxed frame has no confirm()
        expect(admin.get_by_role("button", name="Connect to Xero")).to_be_visible()

        panel.get_by_role("button", name="Refresh").click()  # the panel already open on the rep's screen
        expect(panel.locator(".state__title")).to_have_text(re.compile("^Xero isn't connected"))
        expect(panel.locator(".state")).to_contain_text("admin")
        expect(panel.locator("tr.invoice")).to_have_count(0)

        panel, frame = open_panel(rep_page, fresh_demo, "contacts", contact)  # and the next page view
        expect(panel.locator(".state__title")).to_have_text(re.compile("^Xero isn't connected"))
        problems = axe_violations(frame)
        assert problems == [], describe(problems)
    finally:
        rep.close()


def test_admin_pages_have_no_serious_accessibility_problems(page, connected_demo):
    page.goto(f"{connected_demo.crm_url}/settings/integrations/xero?as=admin")
    frame = admin_frame(page)
    problems = axe_violations(frame)
    admin = page.frame_locator(ADMIN_FRAME)
    admin.get_by_role("button", name="Show diagnostics").click()
    admin.locator("[data-diagnostics]").wait_for()
    problems += axe_violations(frame)
    admin.get_by_role("button", name="Switch organisation").click()
    admin.get_by_role("radio").first.wait_for()
    problems += axe_violations(frame)
    assert problems == [], describe(problems)


def test_the_admin_page_names_the_organisation_and_who_connected_it(page, connected_demo):
    page.goto(f"{connected_demo.crm_url}/settings/integrations/xero?as=admin")
    admin = page.frame_locator(ADMIN_FRAME)
    expect(admin.locator('[data-field="organisation"]')).to_have_text(connected_demo.organisation["name"])
    expect(admin.locator('[data-field="connected-by"]')).to_contain_text(DEMO_EMAIL)
    expect(admin.locator('[data-field="status"]')).to_have_text(re.compile("^Live"))
