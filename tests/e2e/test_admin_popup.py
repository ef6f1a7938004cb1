"""The admin path in headless Chromium, framed by the demo CRM: Connect opens Xero's sign-in in its own
window, and when that window finishes, the framed settings page updates by itself.

Screenshots go to $PANEL_SHOTS_DIR (default /tmp/shots); they are for people, the assertions are the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from devkit.democrm.launcher import start_demo
from plugin.domain.clock import FixedClock
from plugin.services import services
from tests.conftest import TODAY

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(os.environ.get("PANEL_SHOTS_DIR", "/tmp/shots"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def own_demo(tmp_path):
    """A demo of each test's own: these tests connect Xero from nothing (the package's demo is connected)."""
    handle = start_demo(clock=FixedClock.at(TODAY), data_dir=tmp_path)
    yield handle
    handle.stop()


def test_connect_in_a_popup_then_the_framed_page_updates_itself_and_save_goes_live(browser, own_demo, monkeypatch):
    # Poll so rarely that only the sign-in window's message can update the page within the test.
    monkeypatch.setattr("plugin.admin.views.WAITING_POLL_SECONDS", 600)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.bring_to_front()  # the package shares one Chromium: focus checks need this page in front
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{own_demo.crm_url}/settings/integrations/xero")
    frame = page.frame_locator("#xero-admin-frame")
    frame.locator("text=Connect to Xero").wait_for()

    with page.expect_popup() as opened:
        frame.locator("button", has_text="Connect to Xero").click()
    window = opened.value
    window.get_by_role("button", name="Continue to Xero").click()
    window.wait_for_selector("input[name=password]")
    window.fill("input[name=email]", "demo@example.com")
    window.fill("input[name=password]", "demo")
    window.click("button[type=submit]")
    window.click("button[value=allow]")
    window.wait_for_selector("text=You can close this window")
    window.screenshot(path=str(SHOTS / "admin-signed-in-window.png"))

    # Told by the window's postMessage: no reload, no click in the frame.
    frame.locator('#xero-connection[data-state="pending"]').wait_for(timeout=10_000)
    frame.locator("text=demo@example.com").first.wait_for()
    page.screenshot(path=str(SHOTS / "admin-pending.png"), full_page=True)

    frame.locator("button", has_text="Save").click()
    frame.locator('#xero-connection[data-state="active"]').wait_for()
    frame.locator("button", has_text="Show diagnostics").click()
    frame.locator("[data-diagnostics]").wait_for()
    page.screenshot(path=str(SHOTS / "admin-active-diagnostics.png"), full_page=True)
    assert errors == []


def test_the_sign_in_window_names_the_account_before_xero_and_cancel_closes_it_unused(browser, own_demo):
    """Opening the link only asks; Cancel closes the window without going to Xero or connecting anything."""
    from plugin.storage import get_database

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.bring_to_front()  # the package shares one Chromium: focus checks need this page in front
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{own_demo.crm_url}/settings/integrations/xero")
    frame = page.frame_locator("#xero-admin-frame")
    with page.expect_popup() as opened:
        frame.locator("button", has_text="Connect to Xero").click()
    window = opened.value
    window.get_by_role("button", name="Continue to Xero").wait_for()
    assert window.url.startswith(own_demo.panel_url)
    assert f"Connect Xero to {own_demo.account_id} for " in window.locator("[data-field=connects]").inner_text()
    window.screenshot(path=str(SHOTS / "admin-sign-in-question.png"))
    with window.expect_event("close"):
        window.get_by_role("button", name="Cancel").click()
    with own_demo.panel_app.app_context():
        assert get_database().connections.get(own_demo.account_id) is None  # nothing connected, nothing pending
    assert errors == []


def sign_in_in_the_popup(page, frame, button: str = "Connect to Xero") -> None:
    with page.expect_popup() as opened:
        frame.locator("button", has_text=button).click()
    window = opened.value
    window.get_by_role("button", name="Continue to Xero").click()
    window.wait_for_selector("input[name=password]")
    window.fill("input[name=email]", "demo@example.com")
    window.fill("input[name=password]", "demo")
    window.click("button[type=submit]")
    window.click("button[value=allow]")
    window.wait_for_selector("text=You can close this window")
    window.close()  # or the next sign-in reuses this named window instead of opening a popup


def test_remove_asks_inside_the_sandboxed_frame_escape_cancels_and_yes_disconnects(browser, own_demo):
    """The CRM's iframe has no allow-modals: a window.confirm would be dropped and Remove would do nothing."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.bring_to_front()  # the package shares one Chromium: focus checks need this page in front
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{own_demo.crm_url}/settings/integrations/xero")
    assert "allow-modals" not in (page.locator("#xero-admin-frame").get_attribute("sandbox") or "")
    frame = page.frame_locator("#xero-admin-frame")
    frame.locator("text=Connect to Xero").wait_for()
    sign_in_in_the_popup(page, frame)
    frame.locator('#xero-connection[data-state="pending"]').wait_for(timeout=10_000)
    frame.locator("button", has_text="Save").click()
    frame.locator('#xero-connection[data-state="active"]').wait_for()

    frame.locator("button", has_text="Remove").click()
    yes = frame.locator("button", has_text="Yes, remove")
    yes.wait_for()
    frame.locator("text=Disconnect Xero? Reps will stop seeing invoices.").wait_for()
    expect(yes).to_be_focused()  # htmx moves focus to autofocus when the swap settles, after it shows
    page.screenshot(path=str(SHOTS / "admin-remove-question.png"), full_page=True)

    page.keyboard.press("Escape")
    remove = frame.locator("#admin-remove > button", has_text="Remove")
    remove.wait_for()
    expect(remove).to_be_focused()
    assert frame.locator("[data-remove-confirm]").count() == 0

    remove.click()
    frame.locator("button", has_text="Yes, remove").click()
    frame.locator('#xero-connection[data-state="not_connected"]').wait_for()
    frame.locator("text=Xero is disconnected").wait_for()
    assert dialogs == []


def test_an_admin_reconnects_from_the_panel_and_the_panel_refreshes_itself(browser, own_demo):
    """Reconnect in the framed panel asks for the admin's connect ticket with the panel's session, opens Xero's
    sign-in the settings page's way (admin.js), and the popup's message brings the invoices back."""
    from plugin.storage import get_database

    page = browser.new_page(viewport={"width": 1000, "height": 900})

    page.bring_to_front()  # the package shares one Chromium: focus checks need this page in front
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{own_demo.crm_url}/settings/integrations/xero")
    settings = page.frame_locator("#xero-admin-frame")
    settings.locator("text=Connect to Xero").wait_for()
    sign_in_in_the_popup(page, settings)
    settings.locator('#xero-connection[data-state="pending"]').wait_for(timeout=10_000)
    settings.locator("button", has_text="Save").click()
    settings.locator('#xero-connection[data-state="active"]').wait_for()
    with own_demo.panel_app.app_context():
        get_database().connections.mark_needs_reconnect(own_demo.account_id, "Xero refused the stored refresh token.")

    page.goto(f"{own_demo.crm_url}/contacts")
    page.locator("a[href^='/contacts/']").first.click()
    panel = page.frame_locator("#xero-panel-frame")
    reconnect = panel.locator("button", has_text="Reconnect Xero")
    reconnect.wait_for()
    sign_in_in_the_popup(page, panel, button="Reconnect Xero")

    panel.locator("#rows").wait_for(timeout=10_000)  # no click in the panel: the window's message did it
    assert panel.locator("text=needs to be renewed").count() == 0
    page.screenshot(path=str(SHOTS / "panel-reconnected.png"), full_page=True)
    assert errors == []


def test_a_panel_left_open_carries_on_past_its_first_session_with_the_renewed_token(browser, own_demo):
    """panel.js takes the X-Panel-Session-Renewed header into the body's hx-headers, so a click 21 minutes after
    the first load (the first token lasted 15) still works."""
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.bring_to_front()  # the package shares one Chromium: focus checks need this page in front
    page.goto(f"{own_demo.crm_url}/settings/integrations/xero")
    settings = page.frame_locator("#xero-admin-frame")
    sign_in_in_the_popup(page, settings)
    settings.locator("button", has_text="Save").click()
    settings.locator('#xero-connection[data-state="active"]').wait_for()

    page.goto(f"{own_demo.crm_url}/contacts")
    page.locator("a[href^='/contacts/']").first.click()
    panel = page.frame_locator("#xero-panel-frame")
    panel.locator("#rows").wait_for()
    body = panel.locator("body")
    first = body.get_attribute("hx-headers")
    clock = services(own_demo.panel_app).clock

    clock.advance(11 * 60)
    panel.locator("#tab-paid").click()
    panel.locator('#tab-paid[aria-selected="true"]').wait_for()
    assert body.get_attribute("hx-headers") != first

    clock.advance(10 * 60)
    panel.locator("#tab-unpaid").click()
    panel.locator('#tab-unpaid[aria-selected="true"]').wait_for()
    assert panel.locator("#client-notice").is_hidden()
