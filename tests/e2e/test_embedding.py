"""In headless Chromium: the panel tells the CRM its height, so the CRM page has one scroll bar, not two."""

from __future__ import annotations

import pytest

from tests.e2e.driving import PANEL_FRAME, open_panel

pytestmark = pytest.mark.browser

RICH = 4

FRAME_FITS = "() => document.documentElement.scrollHeight <= window.innerHeight + 1"


def frame_height(page) -> float:
    return page.locator(PANEL_FRAME).evaluate("frame => frame.getBoundingClientRect().height")


def test_the_crm_frame_takes_the_panels_height_and_the_panel_never_scrolls_inside_it(page, connected_demo):
    _, frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(connected_demo.customer(RICH)))
    frame.wait_for_function(FRAME_FITS)
    open_view = frame_height(page)
    frame.click("#tab-unpaid")
    frame.wait_for_function("() => document.querySelector('#tab-unpaid').getAttribute('aria-selected') === 'true'")
    frame.wait_for_function(FRAME_FITS)
    assert frame_height(page) > open_view, "a longer list makes the frame taller"
    assert open_view < 720, "a short list leaves no empty frame below it (the CRM's default is 720 px)"


def test_a_payments_popover_on_the_last_row_is_shown_whole(page, connected_demo):
    _, frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(connected_demo.customer(RICH)))
    frame.click("#tab-paid")
    frame.wait_for_function("() => document.querySelector('#tab-paid').getAttribute('aria-selected') === 'true'")
    toggles = frame.locator(".payments__toggle")
    last = toggles.nth(toggles.count() - 1)
    last.focus()
    popover = frame.locator(f"#{last.get_attribute('aria-controls')}")
    popover.wait_for(state="visible")
    frame.wait_for_function(
        "id => document.getElementById(id).getBoundingClientRect().bottom <= window.innerHeight",
        arg=last.get_attribute("aria-controls"))
