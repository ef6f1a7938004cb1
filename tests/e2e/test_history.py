"""No dead ends: Back, Forward and a restored tab show the panel again without a new context from the CRM."""

from __future__ import annotations

import pytest

from tests.e2e.driving import PANEL_FRAME, open_panel, panel_frame, record_url

pytestmark = pytest.mark.browser


def test_back_and_forward_show_the_panel_again(page, connected_demo):
    customer = connected_demo.customer(4)
    _, frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(customer))
    assert customer["name"] in frame.inner_text("#panel")
    assert "context=" not in frame.url and "#s=" in frame.url  # the session moved to the fragment

    other = connected_demo.customer(5)
    page.goto(record_url(connected_demo, "contacts", connected_demo.contact_for(other)))
    assert other["name"] in panel_frame(page).inner_text("#panel")

    page.go_back()
    back = panel_frame(page)
    assert customer["name"] in back.inner_text("#panel")
    assert "without a valid CRM context" not in back.content()

    page.go_forward()
    forward = panel_frame(page)
    assert other["name"] in forward.inner_text("#panel")


def test_the_session_never_reaches_a_query_string(page, connected_demo):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    customer = connected_demo.customer(4)
    open_panel(page, connected_demo, "contacts", connected_demo.contact_for(customer))
    page.goto(record_url(connected_demo, "contacts", connected_demo.contact_for(connected_demo.customer(5))))
    page.go_back()
    panel_frame(page)
    panel_requests = [url for url in requested if url.startswith(connected_demo.handle.panel_url)]
    assert any(url.rstrip("/").endswith("/panel/resume") for url in panel_requests)
    assert not any("#s=" in url or "s=ey" in url for url in panel_requests)
    assert page.locator(PANEL_FRAME).count() == 1


def test_a_reloaded_or_restored_frame_resumes_from_its_fragment(page, connected_demo):
    customer = connected_demo.customer(4)
    _, frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(customer))
    frame.evaluate("() => window.location.reload()")  # what a restored tab does: the same URL, fragment and all
    again = panel_frame(page)
    assert customer["name"] in again.inner_text("#panel")
    assert "#s=" in again.url


def test_a_page_whose_session_can_no_longer_be_renewed_says_reload_the_page(page, connected_demo):
    _, frame = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(connected_demo.customer(4)))
    frame.evaluate("() => { window.location.hash = 's=not-a-session'; window.location.reload(); }")
    handle = page.wait_for_selector(PANEL_FRAME)
    reloaded = handle.content_frame()
    reloaded.wait_for_selector("#client-notice:not([hidden])")
    assert "Reload the page" in reloaded.inner_text("#client-notice")
    page.context.console_errors.clear()  # the refused /panel/resume (401) is the point of this test
