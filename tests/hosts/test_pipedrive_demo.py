"""`xero-panel demo --host pipedrive` starts the whole world on loopback and says what to click."""

from __future__ import annotations

import requests
from click.testing import CliRunner

from devkit import commands
from devkit.pipedrive.world import run_pipedrive_demo


def test_demo_host_pipedrive_runs_the_pipedrive_world(monkeypatch):
    calls = []
    monkeypatch.setattr("devkit.pipedrive.world.run_pipedrive_demo",
                        lambda ports, *, seed: calls.append((ports, seed)) or 0)
    result = CliRunner().invoke(commands.demo, ["--host", "pipedrive", "--seed", "3"])
    assert result.exit_code == 0 and calls == [((5001, 5002, 5005), 3)]


def test_the_pipedrive_demo_serves_pipedrive_the_panel_and_xero(capsys):
    seen: dict[str, int] = {}

    def look(world) -> None:
        seen["pipedrive"] = requests.get(world.pipedrive_url + "/", timeout=10).status_code
        seen["panel"] = requests.get(world.panel_url + "/healthz", timeout=10).status_code
        seen["install"] = requests.get(world.panel_url + "/hosts/pipedrive/install", timeout=10,
                                       allow_redirects=False).status_code

    assert run_pipedrive_demo((0, 0, 0), until=look) == 0
    assert seen == {"pipedrive": 200, "panel": 200, "install": 303}
    out = capsys.readouterr().out
    assert "Install Xero invoices" in out and "demo@example.com" in out
