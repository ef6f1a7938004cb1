"""Shared fixtures: an app against the emulator, a fixed clock, the specs folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from plugin import create_app
from plugin.domain.clock import FixedClock

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT.parent / "shared" / "xero-openapi"

TODAY = "2026-03-01T09:00:00+00:00"


@pytest.fixture(scope="session", autouse=True)
def _instance_folder_outside_the_checkout(tmp_path_factory):
    """Apps built without an explicit INSTANCE_PATH keep keys and SQLite in a temp folder, not ./instance."""
    os.environ.setdefault("XERO_PANEL_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    os.environ.setdefault("XERO_PANEL_XERO_MODE", "emulator")  # the tests' Xero is the dev kit's emulator


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.at(TODAY)


@pytest.fixture
def app(tmp_path, clock):
    return create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite"})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    if not SPECS_DIR.is_dir():
        pytest.skip(f"Xero's OpenAPI specs are not at {SPECS_DIR} (CI keeps ../shared beside the clone)")
    return SPECS_DIR


# --- the Xero emulator, served over real HTTP on 127.0.0.1 (owned by the emulator helper) ---------------------

class ServedEmulator:
    """The emulator behind a real socket: `.url` (base URL), `.app` (Flask app), `.state` (EmulatorState)."""

    def __init__(self, app, server) -> None:
        from plugin.emulator import emulator_state

        self.app = app
        self.server = server
        self.url = server.url
        self.state = emulator_state(app)


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator (seed 1, clock fixed at TODAY) for the whole session; use `emulator` in tests."""
    from plugin.emulator import create_emulator
    from plugin.web.serving import serve_in_thread

    app = create_emulator(seed=1, clock=FixedClock.at(TODAY))
    server = serve_in_thread(app)
    served = ServedEmulator(app, server)
    served.state.base_url = served.url
    yield served
    served.state.reset_faults()
    server.stop()


@pytest.fixture
def emulator(emulator_server):
    """The session emulator, with faults, limits, call counts, data changes and its clock reset after each test."""
    state = emulator_server.state
    yield emulator_server
    state.reset()
    state.clock.current = FixedClock.at(TODAY).current

