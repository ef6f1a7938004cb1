"""Waiting is visible: on a slow Xero the part that waits says "Still waiting for Xero…" once it has waited a
second (an htmx indicator whose CSS appears after a 1 s delay), then the invoices replace it."""

from __future__ import annotations

import pytest

from tests.e2e.driving import PANEL_FRAME, record_url, settle

pytestmark = pytest.mark.browser

WAITING = ".waiting-for-xero"
LATENCY = 2.5  # seconds per Xero call: long enough to see the indicator, well inside the view's 8 s deadline


def never_opened(demo, start: int = 12) -> dict:
    """A customer with a CRM contact that no other browser test opens (a cold view)."""
    for index in range(start, start + 20):
        customer = demo.customer(index)
        try:
            demo.contact_for(customer)
        except StopIteration:
            continue
        return customer
    raise AssertionError("no customer with a CRM contact")


def test_a_cold_view_on_a_slow_xero_says_still_waiting_then_shows_the_invoices(page, connected_demo):
    customer = never_opened(connected_demo)
    connected_demo.emulator.set_latency(LATENCY)
    try:
        page.goto(record_url(connected_demo, "contacts", connected_demo.contact_for(customer)))
        frame = page.wait_for_selector(PANEL_FRAME).content_frame()
        waiting = frame.locator(WAITING).first
        waiting.wait_for(state="visible", timeout=LATENCY * 1000 * 2)
        assert waiting.inner_text().startswith("Still waiting for Xero")
        assert waiting.evaluate("node => getComputedStyle(node).animationDelay") == "1s", "shown after 1 s only"
        frame.wait_for_selector(".panel:not(.panel--waiting)", timeout=20_000)
        settle(frame)
        assert customer["name"] in frame.inner_text("#panel")
        assert not frame.locator(WAITING).first.is_visible()
    finally:
        connected_demo.emulator.reset_faults()


def test_a_refresh_on_a_slow_xero_says_still_waiting(page, connected_demo):
    customer = connected_demo.customer(4)
    page.goto(record_url(connected_demo, "contacts", connected_demo.contact_for(customer)))
    frame = page.wait_for_selector(PANEL_FRAME).content_frame()
    frame.wait_for_selector(".panel:not(.panel--waiting)")
    settle(frame)
    assert not frame.locator(WAITING).is_visible(), "nothing waits: nothing said"
    connected_demo.emulator.set_latency(LATENCY)
    try:
        frame.get_by_role("button", name="Refresh").click()
        frame.locator(WAITING).wait_for(state="visible", timeout=LATENCY * 1000 * 2)
        frame.locator(WAITING).wait_for(state="hidden", timeout=20_000)
        assert customer["name"] in frame.inner_text("#panel")
    finally:
        connected_demo.emulator.reset_faults()
