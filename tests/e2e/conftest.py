"""The browser suite: one demo (emulator, panel, CRM on free loopback ports) and one headless Chromium for the
whole package, a fresh browser context per test, and the admin's connection made once through the real popup.

Chromium is Debian's (/usr/bin/chromium); Playwright cannot download a browser here. Without it the suite skips.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.democrm.launcher import start_demo
from plugin.domain.clock import FixedClock
from tests.conftest import TODAY
from tests.e2e.driving import ARTIFACTS, CHROMIUM, Demo, connect_through_popup, forget_last_views

LAUNCH_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session", autouse=True)
def _quiet_request_logs() -> None:
    # Panel URLs carry signed contexts: keep them out of captured logs, as the demo's launcher does.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


# Package scope, not session: Playwright's sync API allows one instance at a time, and other packages'
# browser tests start their own once this package is done.
@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (.ci/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


def _start(tmp_path_factory, name: str) -> Demo:
    clock = FixedClock.at(TODAY)
    return Demo(start_demo(clock=clock, data_dir=tmp_path_factory.mktemp(name)), clock)


@pytest.fixture(scope="package")
def demo(tmp_path_factory) -> Iterator[Demo]:
    """The shared demo; the admin connects it once (`connected_demo`), then tests act as a rep."""
    running = _start(tmp_path_factory, "browser-demo")
    yield running
    running.stop()


@pytest.fixture(scope="package")
def connected_demo(demo, browser) -> Demo:
    """The shared demo after the admin connected Kōwhai Design Studio through the popup and saved."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        demo.connection_seen = connect_through_popup(context.new_page(), demo)
    finally:
        context.close()
    return demo


@pytest.fixture
def fresh_demo(tmp_path_factory) -> Iterator[Demo]:
    """A demo of its own, for a test that changes the connection (connect, remove)."""
    running = _start(tmp_path_factory, "browser-fresh-demo")
    yield running
    running.stop()


@pytest.fixture
def context(browser, request):
    """A fresh browser context per test; console errors and failed page loads fail the test."""
    made = browser.new_context(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    made.on("console", lambda message: _console_error(message, errors))
    made.on("weberror", lambda error: errors.append(str(error.error)))
    made.on("response", lambda response: response.status >= 400 and errors.append(f"{response.status} {response.url}"))
    made.console_errors = errors
    yield made
    made.close()


def _console_error(message, errors: list[str]) -> None:
    """Errors in any page of the context, where they came from; a top-level window's favicon request aside
    (the browser asks for it by itself, and the sign-in window has none to offer)."""
    url = message.location.get("url", "")
    if message.type == "error" and not url.endswith("/favicon.ico"):
        errors.append(f"{message.text} ({url})")


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(autouse=True)
def _next_minute_for_the_next_test(request) -> Iterator[None]:
    """Faults and limits set by one test never reach the next, and each rep starts on the default view.

    The demo's clock stands still, so it moves a minute on between tests: Xero's per-minute limit (and the
    panel's own budget, which counts calls by that clock) rolls over, as cached invoices expire."""
    yield
    for name in ("connected_demo", "demo"):  # a fresh demo is gone by now, and needs nothing
        if name in request.fixturenames:
            running: Demo = request.getfixturevalue(name)
            running.emulator.reset_faults()
            running.clock.advance(61)
            forget_last_views(running)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
