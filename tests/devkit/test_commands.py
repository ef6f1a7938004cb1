"""The dev kit's click commands, and how `xero-panel` finds them: the entry-point group `xero_panel.commands`
that plugin/cli.py's click group reads."""

from __future__ import annotations

import importlib
import threading
import tomllib
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

from devkit import commands
from devkit.emulator import server

ROOT = Path(__file__).resolve().parents[2]
GROUP = "xero_panel.commands"


def _declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["entry-points"][GROUP]


def test_pyproject_registers_demo_and_emulator_under_the_commands_group():
    declared = _declared()

    assert set(declared) == {"demo", "emulator", "bench"}
    for name, target in declared.items():
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command) and command.name == name


def test_the_wheel_carries_the_devkit_package():
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]
    assert "devkit" in wheel["wheel"]["packages"] and "devkit" in wheel["sdist"]["include"]


@pytest.mark.parametrize(("command", "options"), [
    (commands.demo, {"--emulator-port": "5001", "--panel-port": "5002", "--crm-port": "5003", "--seed": "1"}),
    (commands.emulator, {"--host": "127.0.0.1", "--port": "5001", "--seed": "1", "--redirect-uri": None}),
])
def test_the_commands_offer_the_options_and_defaults_of_the_old_cli(command, options):
    shown = CliRunner().invoke(command, ["--help"])

    assert shown.exit_code == 0
    for option, default in options.items():
        assert option in shown.output
        if default is not None:
            assert f"default: {default}" in shown.output


def test_demo_passes_its_options_to_the_launcher(monkeypatch):
    calls = []
    monkeypatch.setattr("devkit.democrm.launcher.run_demo", lambda ports, *, seed: calls.append((ports, seed)) or 0)

    result = CliRunner().invoke(commands.demo, ["--panel-port", "8002", "--seed", "7"])

    assert result.exit_code == 0 and calls == [((5001, 8002, 5003), 7)]


def test_emulator_passes_repeated_redirect_uris(monkeypatch):
    calls = []
    monkeypatch.setattr("devkit.emulator.server.run_emulator", lambda **kwargs: calls.append(kwargs) or 0)

    result = CliRunner().invoke(commands.emulator, ["--port", "0", "--redirect-uri", "http://a/cb",
                                                    "--redirect-uri", "http://b/cb"])

    assert result.exit_code == 0
    assert calls == [{"host": "127.0.0.1", "port": 0, "seed": 1, "redirect_uris": ("http://a/cb", "http://b/cb")}]


def test_emulator_refuses_to_bind_beyond_loopback():
    result = CliRunner().invoke(commands.emulator, ["--host", "0.0.0.0"])

    assert result.exit_code != 0 and "127.0.0.1 only" in str(result.exception or result.output)


def test_run_emulator_serves_until_told_to_stop(capsys):
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(server.run_emulator(port=0, until=stop)))
    thread.start()
    try:
        for _ in range(100):
            out = capsys.readouterr().out
            if "Xero emulator" in out:
                break
            stop.wait(0.05)
        url = out.split(" on ", 1)[1].split()[0]
        assert requests.get(f"{url}/_emulator/tenants", timeout=5).status_code == 200
    finally:
        stop.set()
        thread.join(timeout=10)
    assert result == [0]


def test_xero_panel_lists_and_runs_the_dev_kits_commands():
    from plugin.cli import main

    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(name in listed for name in ("demo", "emulator", "bench"))
    shown = CliRunner().invoke(main, ["emulator", "--help"])
    assert shown.exit_code == 0 and "--redirect-uri" in shown.output
