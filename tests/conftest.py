"""Shared fixtures: an app against the emulator, a fixed clock, the specs folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin import create_app
from plugin.clock import FixedClock

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT.parent / "shared" / "xero-openapi"

TODAY = "2026-03-01T09:00:00+00:00"


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
