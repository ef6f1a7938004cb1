"""One demo (emulator, panel, CRM on free loopback ports) shared by the module's tests: starting it is the slow part."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from devkit.democrm.launcher import start_demo
from plugin.domain.clock import FixedClock

TODAY = "2026-03-01T09:00:00+00:00"


@pytest.fixture(scope="module")
def demo_clock() -> FixedClock:
    return FixedClock.at(TODAY)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_clock):
    handle = start_demo(clock=demo_clock, data_dir=tmp_path_factory.mktemp("demo"))
    yield handle
    handle.stop()


@pytest.fixture
def crm(demo):
    """A test client for the CRM; each test starts with no user cookie (so as the default admin)."""
    return demo.crm_app.test_client()


class _ElementFinder(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.found: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if attributes.get("id") == self.element_id and self.found is None:
            self.found = {"tag": tag, **attributes}


def element(html: str, element_id: str) -> dict[str, str] | None:
    """The attributes (unescaped) of the element with this id, or None."""
    finder = _ElementFinder(element_id)
    finder.feed(html)
    return finder.found
