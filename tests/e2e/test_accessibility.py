"""axe-core on the panel's views, popover and states (no serious or critical violation, contrast included),
and the keyboard: every control reachable with Tab, a visible focus ring, the popover on focus and Escape."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.driving import axe_violations, describe, open_panel, record_url

pytestmark = pytest.mark.browser

VIEWS = ("open", "paid", "unpaid", "overdue", "pinned")

# A control's name, for comparing what Tab reaches with what is there: id, form name, else its text.
NAME = "(el => el.tagName + ':' + (el.id || el.name || el.textContent.replace(/\\s+/g, ' ').trim()).slice(0, 60))"

# The focused element, and whether its focus is drawn: an outline of 2 px or more, or a box-shadow ring.
FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    name: NAME(el), text: el.textContent.trim(),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== 'none',
  };
}""".replace("NAME", NAME)

# Every control a mouse user can reach (not inside a closed <details>, not taken out of the tab order).
CONTROLS = """() => Array.from(document.querySelectorAll(
    'a[href], button:not([disabled]), input:not([type=hidden]):not([type=radio]:not(:checked)), summary'))
  .filter(el => el.getClientRects().length && el.getAttribute('tabindex') !== '-1'
                && !el.closest('details:not([open]) > :not(summary)'))
  .map(NAME)""".replace("NAME", NAME)


@pytest.fixture
def rich_panel(page, connected_demo):
    return open_panel(page, connected_demo, "contacts", connected_demo.contact_for(connected_demo.customer(4)))


def test_every_view_of_the_panel_has_no_serious_accessibility_problem(rich_panel):
    panel, frame = rich_panel
    problems = []
    for view in VIEWS:
        panel.locator(f"#tab-{view}").click()
        expect(panel.locator(f"#tab-{view}")).to_have_attribute("aria-selected", "true")
        problems += [{"view": view, **problem} for problem in axe_violations(frame)]
    assert problems == [], describe(problems)


def test_the_open_payments_popover_and_the_date_message_have_no_serious_problem(rich_panel, page):
    panel, frame = rich_panel
    panel.locator("#tab-unpaid").click()
    toggle = panel.locator(".payments__toggle").first
    toggle.focus()
    expect(panel.locator(".payments__popover").first).to_be_visible()
    problems = axe_violations(frame)
    page.keyboard.press("Escape")
    panel.locator("#filters-toggle").click()
    panel.locator("#filter-start").fill("2026-03-01")
    panel.locator("#filter-end").fill("2026-01-01")
    panel.locator("#filter-apply").click()
    expect(panel.locator("#date-message")).to_be_visible()
    problems += axe_violations(frame)
    assert problems == [], describe(problems)


@pytest.mark.parametrize("record", ["no match", "several customers", "rate limited"])
def test_the_panels_states_have_no_serious_accessibility_problem(page, connected_demo, record):
    directory = connected_demo.directory
    if record == "no match":
        contact = next(c.id for c in directory.contacts if c.email.endswith("nowhere.example"))
    elif record == "several customers":
        contact = next(c.id for c in directory.contacts if "Shares its email" in c.note)
    else:
        connected_demo.emulator.exhaust_limit(connected_demo.organisation["tenant_id"], "minute")
        contact = connected_demo.contact_for(connected_demo.customer(9))
    page.goto(record_url(connected_demo, "contacts", contact))
    frame = page.wait_for_selector("#xero-panel-frame").content_frame()
    frame.wait_for_selector(".state")
    problems = axe_violations(frame)
    assert problems == [], describe(problems)


def test_tab_reaches_every_control_with_a_visible_focus_ring(rich_panel, page):
    panel, frame = rich_panel
    panel.locator("#tab-unpaid").click()
    expect(panel.locator("#tab-unpaid")).to_have_attribute("aria-selected", "true")
    controls = set(frame.evaluate(CONTROLS))
    # Inactive tabs are reached with the arrow keys (one tab stop for the tab list, as WAI-ARIA tabs do).
    frame.locator("#panel-title").evaluate("title => { title.tabIndex = -1; title.focus(); }")  # start at the top
    reached, unringed, popover_opened = set(), [], False
    for _ in range(len(controls) + 40):
        page.keyboard.press("Tab")
        if not frame.evaluate("document.hasFocus() && document.activeElement !== document.body"):
            break
        focused = frame.evaluate(FOCUS_STYLE)
        name = focused["name"]
        if name in reached:
            continue
        reached.add(name)
        if not (focused["outline"] or focused["shadow"]):
            unringed.append(name)
        if re.fullmatch(r"\d+ payments?|Payments", focused["text"]):
            popover_opened = popover_opened or frame.evaluate(
                "() => getComputedStyle(document.activeElement.closest('[data-payments]')"
                ".querySelector('.payments__popover')).display !== 'none'")
    assert controls <= reached, f"not reachable with Tab: {sorted(controls - reached)}"
    assert unringed == [], f"no visible focus on: {unringed}"
    assert popover_opened, "tabbing onto Payments shows the instalments"


def test_arrow_keys_move_between_the_views(rich_panel, page):
    panel, _ = rich_panel
    panel.locator("#tab-open").focus()
    page.keyboard.press("ArrowRight")
    expect(panel.locator("#tab-overdue")).to_have_attribute("aria-selected", "true")
    expect(panel.locator("#tab-overdue")).to_be_focused()
    page.keyboard.press("Home")
    expect(panel.locator("#tab-paid")).to_have_attribute("aria-selected", "true")


def test_status_is_told_in_words_and_shape_not_by_colour_alone(rich_panel):
    panel, frame = rich_panel
    panel.locator("#tab-unpaid").click()
    expect(panel.locator("#tab-unpaid")).to_have_attribute("aria-selected", "true")
    statuses = frame.evaluate("""() => Array.from(document.querySelectorAll('tr.invoice .status')).map(s => ({
        words: s.innerText.trim(), icon: s.querySelector('use').getAttribute('href'), kind: s.className}))""")
    assert statuses
    icons_by_kind: dict[str, set[str]] = {}
    for status in statuses:
        assert status["words"], "every status has words"
        icons_by_kind.setdefault(status["kind"], set()).add(status["icon"])
    icons = [icon for kinds in icons_by_kind.values() for icon in kinds]
    assert len(icons) == len(set(icons)), "each kind of status has its own icon shape"
    expect(panel.locator(".owed:not([hidden]) .owed__overdue")).to_contain_text("overdue")
