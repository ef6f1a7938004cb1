"""Shared fixtures: an app against the emulator, a fixed clock, the specs folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from plugin import create_app
from plugin.domain.clock import FixedClock

ROOT = Path(__file__).resolve().parent.parent
# Beside the clone in CI; XERO_OPENAPI_DIR points elsewhere (e.g. from a git worktree).
SPECS_DIR = Path(os.environ.get("XERO_OPENAPI_DIR") or ROOT.parent / "shared" / "xero-openapi")

TODAY = "2026-03-01T09:00:00+00:00"


@pytest.fixture(scope="session", autouse=True)
def _instance_folder_outside_the_checkout(tmp_path_factory):
    """Apps built without an explicit INSTANCE_PATH keep keys and SQLite in a temp folder, not ./instance."""
    os.environ.setdefault("XERO_PANEL_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    os.environ.setdefault("XERO_PANEL_XERO_MODE", "emulator")  # the tests' Xero is the dev kit's emulator
    os.environ.setdefault("XERO_PANEL_LOCAL_CACHE_BYTES", str(32 * 1024 * 1024))  # so a test can fill it


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


# --- the Xero emulator, served over real HTTP on 127.0.0.1 (devkit.emulator.server.serve_emulator) ---------------

@pytest.fixture(scope="session")
def emulator_server():
    """One emulator (seed 1, clock fixed at TODAY) for the whole session, a devkit ServedEmulator (`.url`, `.app`,
    `.state`); use `emulator` in tests."""
    from devkit.emulator.server import serve_emulator

    served = serve_emulator(seed=1, clock=FixedClock.at(TODAY))
    yield served
    served.stop()


@pytest.fixture
def emulator(emulator_server):
    """The session emulator, with faults, limits, call counts, data changes and its clock reset after each test."""
    state = emulator_server.state
    yield emulator_server
    state.reset()
    state.clock.current = FixedClock.at(TODAY).current
