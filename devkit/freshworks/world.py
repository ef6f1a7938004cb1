"""The whole Freshworks world on loopback: the Xero emulator, the panel configured for Freshworks, and the small
Freshsales running our Freshworks app (as `xero-panel package freshworks` writes it) in its placeholders.
`xero-panel demo --host freshworks` runs it; tests/hosts and the browser test use it.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from devkit.freshworks.app import create_freshsales
from devkit.freshworks.state import FreshsalesState
from devkit.pipedrive.world import XERO_CALLBACK_PATH, _directory, _serve, _start_emulator


@dataclass
class FreshworksWorld:
    panel_url: str
    freshsales_url: str
    emulator_url: str
    panel_app: Flask
    freshsales: FreshsalesState
    emulator_state: Any
    app_dir: Path
    secret: str
    _stops: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def account(self) -> str:
        return f"freshworks:{self.freshsales.domain}"

    def stop(self) -> None:
        while self._stops:
            self._stops.pop()()


def write_app(public_url: str, out: Path) -> Path:
    """The Freshworks app as the product's own command writes it (`xero-panel package freshworks`)."""
    subprocess.run([sys.executable, "-m", "plugin.cli", "package", "freshworks", "--public-url", public_url,  # noqa: S603
                    "--out", str(out)], check=True, capture_output=True, text=True)
    return out


def start_freshworks_world(
    *,
    ports: tuple[int, int, int] = (0, 0, 0),
    seed: int = 1,
    clock: Any = None,
    emulator: tuple[str, Any] | None = None,
    data_dir: str | Path | None = None,
    app_dir: str | Path | None = None,
    panel_config: dict[str, Any] | None = None,
) -> FreshworksWorld:
    """Start (emulator, panel, Freshsales) on `ports` (0: any free port). `emulator` = (url, state) of one already
    running; `app_dir` = the Freshworks app already written out for this panel's URL (else it is written here)."""
    from plugin import create_app

    stops: list[Callable[[], None]] = []
    emulator_port, panel_port, freshsales_port = ports
    try:
        if emulator is None:
            emulator_url, emulator_state = _start_emulator(emulator_port, seed, clock, stops)
        else:
            emulator_url, emulator_state = emulator
        panel_server, freshsales_server = _serve(panel_port), _serve(freshsales_port)
        stops.extend([panel_server.stop, freshsales_server.stop])
        panel_url, freshsales_url = panel_server.url, freshsales_server.url
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="xero-panel-freshworks-")
            stops.insert(0, lambda path=data_dir: shutil.rmtree(path, ignore_errors=True))
        emulator_state.register_redirect_uri(panel_url + XERO_CALLBACK_PATH)
        app_path = Path(app_dir) if app_dir is not None else write_app(panel_url, Path(data_dir) / "freshworks-app")

        secret = secrets.token_urlsafe(32)
        state = FreshsalesState()
        state.seed(_directory(emulator_state))
        state.install(panel_url=panel_url, secret=secret)
        config: dict[str, Any] = {
            "PUBLIC_URL": panel_url,
            "XERO_MODE": "emulator",
            "XERO_EMULATOR_URL": emulator_url,
            "CRM_ORIGINS": "",
            "CONTEXT_SECRET": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{Path(data_dir) / 'panel.sqlite'}",
            "FRESHWORKS_CONTEXT_SECRET": secret,
            "FRESHWORKS_DOMAINS": state.domain,
            "FRESHWORKS_FRAME_ORIGINS": freshsales_url,
            **({"CLOCK": clock} if clock is not None else {}),
            **(panel_config or {}),
        }
        panel_app = create_app(config)
        panel_server.late.app = panel_app
        freshsales_server.late.app = create_freshsales(
            state, app_dir=app_path, api_base=freshsales_url,
            now=(lambda: clock.now().timestamp()) if clock is not None else None)
    except BaseException:
        for stop in reversed(stops):
            stop()
        raise
    return FreshworksWorld(panel_url, freshsales_url, emulator_url, panel_app, state, emulator_state, app_path,
                           secret, stops)


def welcome(world: FreshworksWorld) -> str:
    return "\n".join([
        f"Freshsales (dev kit): {world.freshsales_url}/",
        f"Panel:                {world.panel_url}",
        f"Xero emulator:        {world.emulator_url}",
        f"The Freshworks app:   {world.app_dir}",
        "",
        f"1. Open {world.freshsales_url}/ as Ada Admin and open any contact: the app shows in its placeholder.",
        "2. Click 'Xero settings', then Connect to Xero; sign in as demo@example.com / demo, Allow access, close the",
        "   window, and press Save.",
        "3. Switch to Sam Rep and open a contact, an account or a deal: the app shows its invoices.",
    ])


DEMO_PORTS = (5001, 5002, 5006)  # emulator, panel, Freshsales


def run_freshworks_demo(ports: tuple[int, int, int] = DEMO_PORTS, *, seed: int = 1,
                        until: Callable[[FreshworksWorld], None] | None = None) -> int:
    """`xero-panel demo --host freshworks`: the whole Freshworks world on loopback until Ctrl-C."""
    import logging
    import time

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # panel URLs carry signed contexts
    world = start_freshworks_world(ports=ports, seed=seed)
    try:
        print(welcome(world), flush=True)
        if until is not None:
            until(world)
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        world.stop()
    return 0
