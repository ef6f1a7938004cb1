"""A rep on CRM pages, with the panel in its cross-origin iframe: views, totals, search, dates, pins,
payments, Xero links, Show more, Refresh, and the plain-words states when Xero is busy or failing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.driving import open_panel, record_url

pytestmark = pytest.mark.browser

# The seeded customer with every case: drafts, overdue, part-paid in instalments, credit, several currencies.
RICH = 4


@pytest.fixture
def rich(connected_demo):
    return connected_demo.customer(RICH)


@pytest.fixture
def rich_panel(page, connected_demo, rich):
    """The panel on the rich customer's CRM contact: (frame_locator, frame)."""
    return open_panel(page, connected_demo, "contacts", connected_demo.contact_for(rich))


def rows(panel):
    return panel.locator("tr.invoice")


def numbers(panel) -> list[str]:
    """The invoice numbers listed (the link's first line; the next is its hidden "opens in Xero" note)."""
    return [text.strip().split("\n")[0] for text in panel.locator("tr.invoice a.invoice__number").all_inner_texts()]


def count_on_tab(panel, view: str) -> int:
    return int(panel.locator(f"#tab-{view} .views__count").inner_text())


def show_view(panel, view: str) -> None:
    panel.locator(f"#tab-{view}").click()
    expect(panel.locator(f"#tab-{view}")).to_have_attribute("aria-selected", "true")


def open_filters(panel) -> None:
    """Search and dates are folded behind one toggle."""
    if panel.locator("#filters-toggle").get_attribute("aria-expanded") != "true":
        panel.locator("#filters-toggle").click()
    expect(panel.locator("#filter-q")).to_be_visible()


def test_a_rep_opening_a_contact_sees_the_customers_open_invoices(rich_panel, rich, context):
    panel, _ = rich_panel
    expect(panel.locator("#panel-title")).to_have_text(rich["name"])
    expect(panel.locator("#tab-open")).to_have_attribute("aria-selected", "true")
    expect(rows(panel)).to_have_count(count_on_tab(panel, "open"))
    expect(panel.locator(".owed:not([hidden]) .owed__amount")).to_be_visible()
    assert context.console_errors == []


@pytest.mark.parametrize(("view", "statuses"), [
    ("paid", r"Paid"),
    ("unpaid", r"\d+ days? overdue|Due (today|tomorrow|in \d+ days)|Open|Draft|Awaiting approval"),
    ("open", r"Due (today|tomorrow|in \d+ days)|Open"),  # drafts are not sent yet: never open or overdue
    ("overdue", r"\d+ days? overdue"),
    ("pinned", r"(?!)"),
])
def test_each_view_lists_as_many_rows_as_its_count_with_matching_statuses(rich_panel, view, statuses):
    panel, _ = rich_panel
    show_view(panel, view)
    expect(rows(panel)).to_have_count(min(count_on_tab(panel, view), 25))
    for label in panel.locator("tr.invoice .status").all_inner_texts():
        assert re.fullmatch(statuses, label.split(",")[0].strip()), label
    if view == "pinned":
        expect(panel.locator(".rows__empty")).to_contain_text("No pinned invoices")


def test_switching_views_in_turn_keeps_exactly_one_tab_selected(rich_panel):
    panel, _ = rich_panel
    for view in ("paid", "unpaid", "overdue", "pinned", "open"):
        show_view(panel, view)
        expect(panel.locator('[role="tab"][aria-selected="true"]')).to_have_count(1)


def test_searching_part_of_a_number_in_lower_case_keeps_only_matching_rows(rich_panel):
    panel, _ = rich_panel
    show_view(panel, "unpaid")
    wanted = numbers(panel)[-1]
    fragment = wanted[:-1].lower()[-5:]  # e.g. "-045" of INV-0457: partial, any case
    open_filters(panel)
    panel.locator("#filter-q").fill(fragment)
    expect(panel.locator("#filters-toggle")).to_contain_text("on")  # the search has been answered
    expect(panel.locator("tr.invoice a.invoice__number").filter(has_text=wanted)).to_have_count(1)
    expect(rows(panel)).to_have_count(count_on_tab(panel, "unpaid"))
    assert all(fragment.upper() in number.upper() for number in numbers(panel))


def test_a_date_range_filters_by_invoice_date_and_clear_brings_everything_back(rich_panel):
    panel, _ = rich_panel
    show_view(panel, "paid")
    everything = count_on_tab(panel, "paid")
    open_filters(panel)
    panel.locator("#filter-start").fill("2026-01-01")
    panel.locator("#filter-end").fill("2026-01-31")
    panel.locator("#filter-apply").click()
    expect(panel.locator("#filters-toggle")).to_contain_text("on")
    filtered = count_on_tab(panel, "paid")
    assert filtered < everything
    for dates in panel.locator("tr.invoice .invoice__date").all_inner_texts():
        assert "Jan 2026" in dates
    panel.locator("#filter-clear").click()
    expect(panel.locator("#filter-start")).to_have_value("")
    expect(panel.locator("#tab-paid .views__count")).to_have_text(str(everything))
    expect(panel.locator("#tab-paid")).to_have_attribute("aria-selected", "true")


def test_an_end_date_before_the_start_date_gets_a_message(rich_panel):
    panel, _ = rich_panel
    open_filters(panel)
    panel.locator("#filter-start").fill("2026-03-01")
    panel.locator("#filter-end").fill("2026-01-01")
    panel.locator("#filter-apply").click()
    message = panel.locator("#date-message")
    expect(message).to_contain_text("The end date is before the start date")
    expect(panel.locator("#filter-end")).to_have_attribute("aria-invalid", "true")
    expect(panel.locator("#filter-end")).to_have_attribute("aria-describedby", "date-message")


@pytest.mark.parametrize("kind", ["contacts", "accounts", "deals"])
def test_a_pin_shows_in_the_pinned_view_of_that_record_lasts_and_unpins(page, connected_demo, rich, kind):
    record_id = {"contacts": connected_demo.contact_for, "accounts": connected_demo.account_for,
                 "deals": connected_demo.deal_for}[kind](rich)
    panel, _ = open_panel(page, connected_demo, kind, record_id)
    show_view(panel, "unpaid")
    number = numbers(panel)[0]
    pin = panel.locator("tr.invoice").filter(has_text=number).locator("button.pin")
    expect(pin).to_have_attribute("aria-pressed", "false")
    pin.click()
    expect(panel.locator("tr.invoice").filter(has_text=number).locator("button.pin")).to_have_attribute(
        "aria-pressed", "true")
    expect(panel.locator("#tab-pinned .views__count")).to_have_text("1")

    panel, _ = open_panel(page, connected_demo, kind, record_id)  # a new page view: pins last
    show_view(panel, "pinned")
    assert numbers(panel) == [number]
    panel.locator("tr.invoice button.pin").click()
    expect(panel.locator("#tab-pinned .views__count")).to_have_text("0")
    expect(panel.locator(".rows__empty")).to_contain_text("No pinned invoices")


def _instalment_row(panel):
    return panel.locator("tr.invoice").filter(has=panel.locator(".payments__toggle")).first


def test_hovering_payments_lists_each_instalment_and_moving_away_hides_it(rich_panel, page):
    panel, _ = rich_panel
    show_view(panel, "unpaid")
    row = _instalment_row(panel)
    detail = row.locator(".status__detail").inner_text()
    paid = int(re.search(r"(\d+) payments", detail).group(1))
    popover = row.locator(".payments__popover")
    expect(popover).to_be_hidden()
    row.locator(".payments__toggle").hover()
    expect(popover).to_be_visible()
    items = popover.locator(".payment")
    expect(items).to_have_count(paid)
    for index in range(paid):
        item = items.nth(index)
        expect(item.locator(".payment__number")).to_have_text(f"{index + 1} of {paid}")
        expect(item.locator(".payment__date")).to_have_text(re.compile(r"^\d{1,2} \w{3} \d{4}$"))
        expect(item.locator(".payment__amount")).to_have_text(re.compile(r"\$[\d,]+\.\d{2}"))
        expect(item.locator(".payment__reference")).not_to_be_empty()
    page.screenshot(path="/tmp/explore/hover.png")
    panel.locator("#panel-title").hover()
    expect(popover).to_be_hidden()


def test_keyboard_focus_on_payments_opens_it_and_escape_closes_it(rich_panel, page):
    panel, _ = rich_panel
    show_view(panel, "unpaid")
    row = _instalment_row(panel)
    toggle, popover = row.locator(".payments__toggle"), row.locator(".payments__popover")
    toggle.focus()
    expect(popover).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(popover).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()


def test_an_invoice_number_opens_the_invoice_in_its_organisation_in_a_new_tab(rich_panel, page, connected_demo):
    panel, _ = rich_panel
    link = panel.locator("tr.invoice a.invoice__number").first
    organisation = connected_demo.organisation
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    href = link.get_attribute("href")
    assert href.startswith(f"{connected_demo.handle.emulator_url}/go/organisationlogin/default.aspx"
                           f"?shortcode={organisation['short_code']}&redirecturl=/AccountsReceivable/View.aspx"
                           "%3FInvoiceID%3D")
    with page.expect_popup() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert "shortcode=" in tab.url and tab.url.endswith(href.rsplit("InvoiceID%3D", 1)[1])
    tab.close()


def test_show_more_adds_rows_and_refresh_fetches_what_changed_in_xero(page, connected_demo):
    customer = connected_demo.customer(6)
    emulator, tenant_id = connected_demo.emulator, connected_demo.organisation["tenant_id"]
    for day in range(1, 29):
        emulator.create_invoice(tenant_id, customer["contact_id"], date=f"2026-02-{day:02d}", due_date="2026-12-31")
    panel, _ = open_panel(page, connected_demo, "contacts", connected_demo.contact_for(customer))
    open_count = count_on_tab(panel, "open")
    assert open_count > 25
    expect(rows(panel)).to_have_count(25)
    panel.locator(".more__button").click()
    expect(rows(panel)).to_have_count(min(open_count, 50))

    emulator.create_invoice(tenant_id, customer["contact_id"], number="INV-REFRESHED", date="2026-03-01",
                            due_date="2026-12-31")
    show_view(panel, "open")  # from the panel's cache: no Xero call, so not there yet
    expect(panel.locator("tr.invoice").filter(has_text="INV-REFRESHED")).to_have_count(0)
    panel.get_by_role("button", name="Refresh").click()
    expect(panel.locator("tr.invoice").first).to_contain_text("INV-REFRESHED")
    expect(panel.locator("#tab-open .views__count")).to_have_text(str(open_count + 1))


def test_when_xero_rate_limits_a_refresh_the_panel_says_so_and_keeps_the_last_data(rich_panel, connected_demo):
    panel, _ = rich_panel
    shown = numbers(panel)
    connected_demo.emulator.exhaust_limit(connected_demo.organisation["tenant_id"], "minute")
    panel.get_by_role("button", name="Refresh").click()
    expect(panel.locator(".state__title")).to_have_text(re.compile(r"Xero is busy\. Try again in \d+ seconds\."))
    expect(panel.locator(".state")).to_contain_text("it may be out of date")
    expect(panel.locator(".freshness__time")).to_contain_text("Last updated")
    assert numbers(panel) == shown


def test_when_xero_fails_a_refresh_the_panel_says_so_and_keeps_the_last_data(rich_panel, connected_demo):
    panel, _ = rich_panel
    shown = numbers(panel)
    connected_demo.emulator.fail_next(5, "503")
    panel.get_by_role("button", name="Refresh").click()
    expect(panel.locator(".state__title")).to_have_text("Xero isn't answering right now. Try again in a minute.")
    assert numbers(panel) == shown


@pytest.mark.parametrize(("fault", "words"), [
    ("rate_limit", re.compile(r"Xero is busy\. Try again in \d+ seconds\.")),
    ("500", re.compile(r"Xero isn't answering right now")),
])
def test_a_first_view_while_xero_is_failing_says_so_in_plain_words(page, connected_demo, fault, words):
    emulator = connected_demo.emulator
    if fault == "rate_limit":
        emulator.exhaust_limit(connected_demo.organisation["tenant_id"], "minute")
    else:
        emulator.fail_next(10, fault)
    page.goto(record_url(connected_demo, "contacts", connected_demo.contact_for(connected_demo.customer(8))))
    panel = page.frame_locator("#xero-panel-frame")
    expect(panel.locator(".state__title")).to_have_text(words)
    expect(rows(panel)).to_have_count(0)
