"""How the browser tests drive the demo: the admin's popup sign-in, opening a record as a user, reaching
the panel inside the CRM's cross-origin iframe, running axe-core in a frame, and screenshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devkit.democrm.launcher import DemoHandle
from devkit.democrm.records import ADMIN_ID, REP_ID, USERS, Directory
from plugin.domain.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
PANEL_FRAME = "#xero-panel-frame"
ADMIN_FRAME = "#xero-admin-frame"
DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "demo"


@dataclass
class Demo:
    """A running demo with the handles the tests need: the CRM's URL, the emulator's controls, its records."""

    handle: DemoHandle
    clock: FixedClock
    connection_seen: dict[str, str] = field(default_factory=dict)

    @property
    def crm_url(self) -> str:
        return self.handle.crm_url

    @property
    def emulator(self) -> Any:
        return self.handle.emulator_state

    @property
    def organisation(self) -> dict[str, str]:
        """The organisation the CRM's records come from (the first, which the consent page ticks)."""
        return self.emulator.tenants[0]

    @property
    def directory(self) -> Directory:
        return self.handle.directory

    def customer(self, index: int) -> dict[str, Any]:
        return self.emulator.customers(self.organisation["tenant_id"])[index]

    def contact_for(self, customer: dict[str, Any]) -> str:
        """The CRM contact id whose email matches this Xero customer's."""
        email = customer["email"].lower()
        return next(c.id for c in self.directory.contacts if c.email.lower() == email and "<" not in c.name)

    def account_for(self, customer: dict[str, Any]) -> str:
        return next(a.id for a in self.directory.accounts if a.name == customer["name"])

    def deal_for(self, customer: dict[str, Any]) -> str:
        return next(d.id for d in self.directory.deals if d.account.name == customer["name"])

    def stop(self) -> None:
        self.handle.stop()


def record_url(demo: Demo, kind: str, record_id: str, *, user: str = REP_ID) -> str:
    """A CRM detail page (kind: contacts, accounts, deals) seen by `user` (the `?as=` switch of the demo)."""
    return f"{demo.crm_url}/{kind}/{record_id}?as={user}"


def panel_frame(page):
    """The panel's Frame (for evaluate) once its document has loaded inside the CRM page and settled."""
    handle = page.wait_for_selector(PANEL_FRAME)
    frame = handle.content_frame()
    frame.wait_for_selector("#panel")
    settle(frame)
    return frame


def settle(frame) -> None:
    """Wait for the panel's own follow-up: expired data is shown at once ("refreshing…") and a request made
    on load swaps fresh data in. A click made before that lands can be overwritten by it (reported to the
    lead), so the tests act on a settled panel, as a rep who reads before clicking does."""
    frame.wait_for_function(
        "() => !document.querySelector('.freshness__refreshing, .htmx-request, .htmx-settling, .htmx-swapping')")


def open_panel(page, demo: Demo, kind: str, record_id: str, *, user: str = REP_ID):
    """Open a record as `user` and return (frame_locator, frame) for the panel inside it."""
    page.goto(record_url(demo, kind, record_id, user=user))
    return page.frame_locator(PANEL_FRAME), panel_frame(page)


def forget_last_views(demo: Demo) -> None:
    """Each rep starts a test on the default (Open) view: drop the remembered choice from the panel's cache."""
    from plugin.services import services

    with demo.handle.panel_app.app_context():
        for user in USERS:
            services().cache.delete(f"last-view:{demo.handle.account_id}:{user.id}")


def sign_in_through_popup(page, demo: Demo, *, screenshots: Path | None = None,
                          look: Callable[[str, Any], None] = lambda step, frame: None):
    """The first half of `connect_through_popup`: Connect, sign in to Xero in the popup, allow both organisations,
    close it. Returns the settings frame (a FrameLocator) once it shows the connection not yet saved."""
    page.goto(f"{demo.crm_url}/settings/integrations/xero?as={ADMIN_ID}")
    admin = page.frame_locator(ADMIN_FRAME)
    look("not connected", admin_frame(page))
    with page.expect_popup() as opened:
        admin.get_by_role("button", name="Connect to Xero").click()
    window = opened.value
    window.get_by_role("button", name="Continue to Xero").click()  # our page naming the account, then Xero
    window.fill("input[name=email]", DEMO_EMAIL)
    window.fill("input[name=password]", DEMO_PASSWORD)
    window.click("button[type=submit]")
    for box in window.locator("input[name=tenant]").all():
        box.check()
    window.click("button[value=allow]")
    window.wait_for_selector("text=You can close this window")
    if screenshots:
        window.screenshot(path=str(screenshots / "admin-popup-done.png"))
    look("window", window.main_frame)
    window.close()
    admin.locator('#xero-connection[data-state="pending"]').wait_for()
    return admin


def connect_through_popup(page, demo: Demo, *, screenshots: Path | None = None,
                          inspect: Callable[[str, Any], None] | None = None) -> dict[str, str]:
    """The admin's whole connect: Connect opens Xero's sign-in in a popup, sign in, tick both organisations,
    allow; back in the framed settings page pick the CRM's organisation and Save. Returns what the page showed.

    `inspect(step, frame)` looks at each step on the way: "not connected" and "pending" (the settings frame),
    "window" (the sign-in window's last page, before it is closed) and "active"."""
    look = inspect or (lambda step, frame: None)
    admin = sign_in_through_popup(page, demo, screenshots=screenshots, look=look)
    admin.get_by_role("radio", name=demo.organisation["name"]).check()
    admin.get_by_role("button", name="Use this organisation").click()
    admin.locator(f'[data-field="organisation"]:text-is("{demo.organisation["name"]}")').wait_for()
    # The name may already show before the choice's answer swaps the section in; a Save clicked on the section
    # being replaced would land in a detached element. An admin reads the answer before pressing Save.
    settle(admin_frame(page))
    seen = {
        "organisation": admin.locator('[data-field="organisation"]').inner_text(),
        "connected_by": admin.locator('[data-field="connected-by"]').inner_text(),
    }
    if screenshots:
        page.screenshot(path=str(screenshots / "admin-pending.png"), full_page=True)
    look("pending", admin_frame(page))
    admin.get_by_role("button", name="Save").click()
    admin.locator('#xero-connection[data-state="active"]').wait_for()
    seen["status"] = admin.locator('[data-field="status"]').inner_text()
    look("active", admin_frame(page))
    return seen


def admin_frame(page):
    handle = page.wait_for_selector(ADMIN_FRAME)
    frame = handle.content_frame()
    frame.wait_for_selector("#xero-connection")
    return frame


# --- axe-core -----------------------------------------------------------------------------------------------

SERIOUS = ("serious", "critical")


def axe_violations(frame, *, include: str | None = None) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations in `frame` (optionally only inside `include`).

    axe is evaluated through the DevTools protocol, which the panel's CSP (script-src 'self') does not
    govern, so the page under test keeps its real CSP."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not at {AXE} (.ci/setup.sh installs it: npm install --no-save axe-core@4.11.0)")
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
    result = frame.evaluate(
        "async ([include, options]) => await axe.run(include ? {include: [include]} : document, options)",
        [include, options])
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [node["target"] for node in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in SERIOUS
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1, ensure_ascii=False)
