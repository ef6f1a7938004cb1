"""The panel in headless Chromium at 318 to 800 px: no sideways scroll, no row text over the amounts, and
screenshots to look at.

Screenshots go to $PANEL_SHOTS_DIR (default /tmp/shots); they are for people, the assertions are the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devkit.serving import serve_in_thread
from tests.panel.conftest import contact_record

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(os.environ.get("PANEL_SHOTS_DIR", "/tmp/shots"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless"])
        yield launched
        launched.close()


@pytest.fixture
def served_panel(panel_app):
    server = serve_in_thread(panel_app)
    yield server
    server.stop()


def rich_customer(emulator, tenant_id: str) -> dict:
    """The seeded customer that carries every case: drafts, overdue, part-paid, credit, foreign currency."""
    return emulator.state.customers(tenant_id)[4]


@pytest.mark.parametrize("width", [360, 800])
def test_the_panel_fits_its_width_without_sideways_scroll(browser, served_panel, panel, connected, emulator, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    context = panel.context(contact_record(rich_customer(emulator, connected["tenant_id"])))
    page.goto(f"{served_panel.url}/panel?context={context}")
    page.wait_for_selector("#panel")
    page.screenshot(path=str(SHOTS / f"panel-open-{width}.png"), full_page=True)

    page.click("#tab-unpaid")
    page.wait_for_selector('#tab-unpaid[aria-selected="true"]')
    toggle = page.locator(".payments__toggle").first
    toggle.focus()
    page.screenshot(path=str(SHOTS / f"panel-payments-{width}.png"), full_page=True)

    assert "context=" not in page.url
    for narrower in (width, 320, 480, 680, 720):
        page.set_viewport_size({"width": narrower, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= narrower, f"sideways scroll at {narrower}px"
    assert errors == []
    page.close()


ROW_COLLISIONS = """() => {
  const hit = (a, b) => a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom;
  const found = [];
  document.querySelectorAll('.invoice').forEach(row => {
    const amounts = [row.querySelector('.invoice__headline'), row.querySelector('.invoice__of')].filter(Boolean);
    for (const part of ['.invoice__first', '.invoice__second', '.invoice__credits', '.invoice__number']) {
      const element = row.querySelector(part);
      if (!element || !element.getClientRects().length) continue;
      for (const amount of amounts) {
        if (hit(element.getBoundingClientRect(), amount.getBoundingClientRect())) {
          const number = row.querySelector('.invoice__number').textContent.trim();
          found.push(`${number}: ${part} runs into ${amount.className}`);
        }
      }
    }
  });
  return found;
}"""


@pytest.mark.parametrize("width", [318, 320])
def test_no_row_text_runs_into_the_amounts_at_the_narrowest_frame(browser, served_panel, panel, connected, emulator,
                                                                   width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    context = panel.context(contact_record(rich_customer(emulator, connected["tenant_id"])))
    page.goto(f"{served_panel.url}/panel?context={context}")
    page.wait_for_selector("#panel")
    for view in ("unpaid", "paid", "overdue", "open"):  # never the selected one: its old tab would pass the wait
        page.click(f"#tab-{view}")
        page.wait_for_selector(f'#tab-{view}[aria-selected="true"]')
        assert page.evaluate(ROW_COLLISIONS) == [], f"{view} view at {width}px"
    page.screenshot(path=str(SHOTS / f"panel-unpaid-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width", [320, 720, 800])
def test_a_huge_invoice_number_is_cut_short_and_shown_whole_on_focus(browser, served_panel, panel, connected,
                                                                     emulator, width):
    """A 100,000-character number used to widen the list to 860,000 px."""
    customer = rich_customer(emulator, connected["tenant_id"])
    huge = "N" * 100_000
    emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], number=huge)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{served_panel.url}/panel?context={panel.context(contact_record(customer))}")
    page.wait_for_selector("#panel")
    page.click("#tab-unpaid")
    page.wait_for_selector('#tab-unpaid[aria-selected="true"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    link = page.locator("a.invoice__number", has_text="NNNN").first
    assert link.get_attribute("title") == huge
    text = link.locator(".invoice__number-text")
    assert text.bounding_box()["width"] < 400
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus (focus-visible): the whole number wraps inside the column
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("getComputedStyle(document.activeElement.querySelector('.invoice__number-text'))"
                         ".whiteSpace") == "normal"
    page.close()
