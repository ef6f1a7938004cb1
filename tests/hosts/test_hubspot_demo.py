"""`xero-panel demo --host hubspot` starts the whole HubSpot world on loopback and says what to click."""

from __future__ import annotations

import requests
from click.testing import CliRunner

from devkit import commands
from devkit.hubspot.world import run_hubspot_demo


def test_demo_host_hubspot_runs_the_hubspot_world(monkeypatch):
    calls = []
    monkeypatch.setattr("devkit.hubspot.world.run_hubspot_demo",
                        lambda ports, *, seed: calls.append((ports, seed)) or 0)
    result = CliRunner().invoke(commands.demo, ["--host", "hubspot", "--seed", "3"])
    assert result.exit_code == 0 and calls == [((5001, 5002, 5006), 3)]


def test_the_hubspot_demo_serves_hubspot_the_panel_and_xero(capsys):
    seen: dict[str, int] = {}

    def look(world) -> None:
        seen["hubspot"] = requests.get(world.hubspot_url + "/", timeout=10).status_code
        seen["panel"] = requests.get(world.panel_url + "/healthz", timeout=10).status_code
        seen["install"] = requests.get(world.panel_url + "/hosts/hubspot/install", timeout=10,
                                       allow_redirects=False).status_code

    assert run_hubspot_demo((0, 0, 0), until=look) == 0
    assert seen == {"hubspot": 200, "panel": 200, "install": 303}
    out = capsys.readouterr().out
    assert "Install Xero invoices" in out and "demo@example.com" in out
