"""How the panel looks inside the CRM: screenshots at 360 and 800 px (tests/artifacts/, for people to look at)
of the contact page, the payments popover, an error state and the admin page; and no sideways scrolling
inside the frame from 320 to 800 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.driving import ADMIN_FRAME, PANEL_FRAME, admin_frame, open_panel, panel_frame, record_url

pytestmark = pytest.mark.browser

WIDTHS = (360, 800)
PANEL_WIDTHS = (320, 360, 480, 800)

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def shoot(page, artifacts, name: str, frame_selector: str = PANEL_FRAME) -> None:
    page.screenshot(path=str(artifacts / f"{name}-page.png"), full_page=True)
    page.locator(frame_selector).screenshot(path=str(artifacts / f"{name}-frame.png"))


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_of_the_contact_page_popover_and_an_error_state(page, connected_demo, artifacts, width):
    page.set_viewport_size({"width": width, "height": 1000})
    rich = connected_demo.contact_for(connected_demo.customer(4))
    panel, frame = open_panel(page, connected_demo, "contacts", rich)
    shoot(page, artifacts, f"contact-{width}")

    panel.locator("#tab-unpaid").click()
    toggle = panel.locator(".payments__toggle").first
    toggle.focus()
    popover = panel.locator(".payments__popover").first
    expect(popover).to_be_visible()
    popover.scroll_into_view_if_needed()
    shoot(page, artifacts, f"payments-{width}")
    assert frame.evaluate(SIDEWAYS) <= 0, "the open popover pushes the panel sideways"

    connected_demo.emulator.exhaust_limit(connected_demo.organisation["tenant_id"], "minute")
    panel.get_by_role("button", name="Refresh").click()
    expect(panel.locator(".state--rate_limited")).to_be_visible()
    shoot(page, artifacts, f"rate-limited-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_of_the_admin_page(page, connected_demo, artifacts, width):
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{connected_demo.crm_url}/settings/integrations/xero?as=admin")
    frame = admin_frame(page)
    page.frame_locator(ADMIN_FRAME).get_by_role("button", name="Show diagnostics").click()
    frame.wait_for_selector("[data-diagnostics]")
    shoot(page, artifacts, f"admin-{width}", ADMIN_FRAME)
    assert frame.evaluate(SIDEWAYS) <= 0


def test_screenshot_of_a_record_that_matches_no_customer(page, connected_demo, artifacts):
    contact = next(c.id for c in connected_demo.directory.contacts if c.email.endswith("nowhere.example"))
    page.set_viewport_size({"width": 800, "height": 1000})
    page.goto(record_url(connected_demo, "contacts", contact))
    frame = panel_frame(page)
    frame.wait_for_selector(".state--no_match")
    shoot(page, artifacts, "no-match-800")


@pytest.mark.parametrize("view", ["open", "unpaid"])
def test_the_panel_never_scrolls_sideways_from_320_to_800_px(page, connected_demo, view):
    """The frame is set to each width inside the CRM page, as a side panel of that width would be."""
    page.set_viewport_size({"width": 1100, "height": 1000})
    panel, frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(connected_demo.customer(4)))
    panel.locator(f"#tab-{view}").click()
    expect(panel.locator(f"#tab-{view}")).to_have_attribute("aria-selected", "true")
    page.locator(".crm-panel-card").evaluate("card => card.style.width = 'max-content'")
    for width in PANEL_WIDTHS:
        page.locator(PANEL_FRAME).evaluate(f"frame => frame.style.width = '{width}px'")
        frame.wait_for_function(f"() => Math.abs(window.innerWidth - {width}) <= 2")  # less the frame's border
        assert frame.evaluate(SIDEWAYS) <= 0, f"sideways scroll at {width}px in the {view} view"
        toggles = panel.locator(".payments__toggle")
        if toggles.count():
            toggles.first.focus()
            assert frame.evaluate(SIDEWAYS) <= 0, f"the open popover scrolls sideways at {width}px"
            frame.evaluate("document.activeElement.blur()")
