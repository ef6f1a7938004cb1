"""`xero-panel demo --host salesforce` starts the whole world on loopback and says what to click."""

from __future__ import annotations

import re

import requests
from click.testing import CliRunner

from devkit import commands
from devkit.salesforce.world import run_salesforce_demo


def test_demo_host_salesforce_runs_the_salesforce_world(monkeypatch):
    calls = []
    monkeypatch.setattr("devkit.salesforce.world.run_salesforce_demo",
                        lambda ports, *, seed: calls.append((ports, seed)) or 0)
    result = CliRunner().invoke(commands.demo, ["--host", "salesforce", "--seed", "3"])
    assert result.exit_code == 0 and calls == [((5001, 5002, 5006), 3)]


def test_the_salesforce_demo_frames_the_canvas_with_a_signed_request(capsys):
    seen: dict[str, object] = {}

    def look(world) -> None:
        home = requests.get(world.salesforce_url + "/", timeout=10)
        seen["home"] = home.status_code
        contact = re.search(r'href="(/lightning/r/Contact/[^"]+/view)"', home.text).group(1)
        page = requests.get(world.salesforce_url + contact, timeout=10)
        form = re.search(r'action="([^"]+)" target="canvas-frame"', page.text).group(1)
        signed = re.search(r'name="signed_request" value="([^"]+)"', page.text).group(1)
        posted = requests.post(form, data={"signed_request": signed}, timeout=10, allow_redirects=False)
        seen["canvas"] = (posted.status_code, posted.headers.get("Location", "").split("?")[0])

    assert run_salesforce_demo((0, 0, 0), until=look) == 0
    assert seen["home"] == 200
    assert seen["canvas"] == (303, "/panel")
    out = capsys.readouterr().out
    assert "Xero Invoices settings" in out and "demo@example.com" in out
