"""The whole HubSpot world on loopback: the Xero emulator, the panel configured as a HubSpot app, and the small
HubSpot hosting its card. `xero-panel demo --host hubspot` runs it; tests/hosts and the browser test use it.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from devkit.hubspot.app import create_hubspot
from devkit.hubspot.state import App, HubSpotState
from devkit.pipedrive.world import _directory, _serve, _start_emulator

XERO_CALLBACK_PATH = "/admin/oauth/callback"


@dataclass
class HubSpotWorld:
    panel_url: str
    hubspot_url: str
    emulator_url: str
    panel_app: Flask
    hubspot: HubSpotState
    emulator_state: Any
    _stops: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        while self._stops:
            self._stops.pop()()


def start_hubspot_world(
    *,
    ports: tuple[int, int, int] = (0, 0, 0),
    seed: int = 1,
    clock: Any = None,
    emulator: tuple[str, Any] | None = None,
    data_dir: str | Path | None = None,
    panel_config: dict[str, Any] | None = None,
) -> HubSpotWorld:
    """Start (emulator, panel, HubSpot) on `ports` (0: any free port). `emulator` = (url, state) of one already
    running (the tests' session emulator); otherwise one is started with `seed` and `clock`."""
    from plugin import create_app

    stops: list[Callable[[], None]] = []
    emulator_port, panel_port, hubspot_port = ports
    try:
        if emulator is None:
            emulator_url, emulator_state = _start_emulator(emulator_port, seed, clock, stops)
        else:
            emulator_url, emulator_state = emulator
        panel_server, hubspot_server = _serve(panel_port), _serve(hubspot_port)
        stops.extend([panel_server.stop, hubspot_server.stop])
        panel_url, hubspot_url = panel_server.url, hubspot_server.url
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="xero-panel-hubspot-")
            stops.insert(0, lambda path=data_dir: shutil.rmtree(path, ignore_errors=True))
        emulator_state.register_redirect_uri(panel_url + XERO_CALLBACK_PATH)

        app = App(redirect_uri=panel_url + "/hosts/hubspot/oauth/callback", panel_url=panel_url)
        state = HubSpotState(app=app, **({"now": lambda: clock.now().timestamp()} if clock is not None else {}))
        state.seed(_directory(emulator_state))
        config: dict[str, Any] = {
            "PUBLIC_URL": panel_url,
            "XERO_MODE": "emulator",
            "XERO_EMULATOR_URL": emulator_url,
            "CRM_ORIGINS": "",
            "CONTEXT_SECRET": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{Path(data_dir) / 'panel.sqlite'}",
            "HUBSPOT_CLIENT_ID": app.client_id,
            "HUBSPOT_CLIENT_SECRET": app.client_secret,
            "HUBSPOT_APP_ID": app.app_id,
            "HUBSPOT_API_URL": hubspot_url,
            "HUBSPOT_AUTHORIZE_URL": hubspot_url + "/oauth/authorize",
            "HUBSPOT_FRAME_ORIGINS": hubspot_url,
            **({"CLOCK": clock} if clock is not None else {}),
            **(panel_config or {}),
        }
        panel_app = create_app(config)
        panel_server.late.app = panel_app
        hubspot_server.late.app = create_hubspot(state)
    except BaseException:
        for stop in reversed(stops):
            stop()
        raise
    return HubSpotWorld(panel_url, hubspot_url, emulator_url, panel_app, state, emulator_state, stops)


def welcome(world: HubSpotWorld) -> str:
    return "\n".join([
        f"HubSpot (dev kit): {world.hubspot_url}/",
        f"Panel:             {world.panel_url}",
        f"Xero emulator:     {world.emulator_url}",
        "",
        f"1. Open {world.hubspot_url}/ as Ada Admin (super admin), click 'Install Xero invoices', then 'Connect app'.",
        "2. Open any contact: the Xero invoices card offers 'Set up Xero'. Click it, Connect to Xero, sign in as",
        "   demo@example.com / demo, Allow access, close the window, press Save, then Close the modal.",
        "3. Switch to Sam Rep and open Aroha Ngata: the card shows owed, overdue, ageing and the most urgent",
        "   invoices; 'Open full panel' opens the whole panel in the modal.",
    ])


DEMO_PORTS = (5001, 5002, 5006)  # emulator, panel, HubSpot


def run_hubspot_demo(ports: tuple[int, int, int] = DEMO_PORTS, *, seed: int = 1,
                     until: Callable[[HubSpotWorld], None] | None = None) -> int:
    """`xero-panel demo --host hubspot`: the whole HubSpot world on loopback until Ctrl-C."""
    import logging
    import time

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # panel URLs carry signed tokens
    world = start_hubspot_world(ports=ports, seed=seed)
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
