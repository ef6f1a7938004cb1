"""Fixtures for the web layer's observability: the panel's app (tests/panel) with settings of our own
(`app_settings`, overridden per module), so a test can open a panel and then read /metrics or the logs."""

from __future__ import annotations

import pytest

from plugin import create_app
from plugin.web import logs
from tests.panel.conftest import CONTEXT_SECRET, PanelActions, connected, customer, tenant  # noqa: F401

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def app_settings() -> dict:
    return {"METRICS_TOKEN": METRICS_TOKEN}


@pytest.fixture
def panel_app(tmp_path, clock, emulator, app_settings):
    app = create_app({
        "TESTING": True,
        "CLOCK": clock,
        "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite",
        "XERO_EMULATOR_URL": emulator.url,
        "CONTEXT_SECRET": CONTEXT_SECRET,
        "CACHE_TTL": 60,
        "SECRET_KEY": "panel-tests-secret-key",
        **app_settings,
    })
    yield app
    logs.configure("plain")  # logging is process-wide: leave it as the next test expects


@pytest.fixture
def panel(panel_app, clock, emulator) -> PanelActions:
    return PanelActions(panel_app, clock, emulator)
