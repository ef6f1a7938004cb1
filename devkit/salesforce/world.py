"""The whole Salesforce world on loopback: the Xero emulator, the panel configured as a canvas app, and the small
Salesforce framing it. `xero-panel demo --host salesforce` runs it; tests/hosts and the browser test use it.
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

from devkit.pipedrive.world import XERO_CALLBACK_PATH, _directory, _serve, _start_emulator
from devkit.salesforce.app import create_salesforce
from devkit.salesforce.state import ConnectedApp, SalesforceState

CANVAS_PATH = "/hosts/salesforce/canvas"


@dataclass
class SalesforceWorld:
    panel_url: str
    salesforce_url: str
    emulator_url: str
    panel_app: Flask
    salesforce: SalesforceState
    emulator_state: Any
    _stops: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        while self._stops:
            self._stops.pop()()


def start_salesforce_world(
    *,
    ports: tuple[int, int, int] = (0, 0, 0),
    seed: int = 1,
    clock: Any = None,
    emulator: tuple[str, Any] | None = None,
    data_dir: str | Path | None = None,
    panel_config: dict[str, Any] | None = None,
) -> SalesforceWorld:
    """Start (emulator, panel, Salesforce) on `ports` (0: any free port). `emulator` = (url, state) of one already
    running (the tests' session emulator); otherwise one is started with `seed` and `clock`."""
    from plugin import create_app

    stops: list[Callable[[], None]] = []
    emulator_port, panel_port, salesforce_port = ports
    try:
        if emulator is None:
            emulator_url, emulator_state = _start_emulator(emulator_port, seed, clock, stops)
        else:
            emulator_url, emulator_state = emulator
        panel_server, salesforce_server = _serve(panel_port), _serve(salesforce_port)
        stops.extend([panel_server.stop, salesforce_server.stop])
        panel_url, salesforce_url = panel_server.url, salesforce_server.url
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="xero-panel-salesforce-")
            stops.insert(0, lambda path=data_dir: shutil.rmtree(path, ignore_errors=True))
        emulator_state.register_redirect_uri(panel_url + XERO_CALLBACK_PATH)

        connected_app = ConnectedApp(canvas_url=panel_url + CANVAS_PATH)
        state = SalesforceState(app=connected_app,
                                **({"now": lambda: clock.now().timestamp()} if clock is not None else {}))
        state.seed(_directory(emulator_state))
        config: dict[str, Any] = {
            "PUBLIC_URL": panel_url,
            "XERO_MODE": "emulator",
            "XERO_EMULATOR_URL": emulator_url,
            "CRM_ORIGINS": "",
            "CONTEXT_SECRET": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{Path(data_dir) / 'panel.sqlite'}",
            "SALESFORCE_CONSUMER_SECRET": connected_app.consumer_secret,
            "SALESFORCE_FRAME_ORIGINS": salesforce_url,
            "SALESFORCE_API_ORIGINS": salesforce_url,
            **({"CLOCK": clock} if clock is not None else {}),
            **(panel_config or {}),
        }
        panel_app = create_app(config)
        panel_server.late.app = panel_app
        salesforce_server.late.app = create_salesforce(state)
    except BaseException:
        for stop in reversed(stops):
            stop()
        raise
    return SalesforceWorld(panel_url, salesforce_url, emulator_url, panel_app, state, emulator_state, stops)


def welcome(world: SalesforceWorld) -> str:
    return "\n".join([
        f"Salesforce (dev kit): {world.salesforce_url}/",
        f"Panel:                {world.panel_url}",
        f"Xero emulator:        {world.emulator_url}",
        "",
        f"1. Open {world.salesforce_url}/ as Ada Admin (she has the Xero Invoices Admin permission set) and click",
        "   'Xero Invoices settings', then Connect to Xero; sign in as demo@example.com / demo, Allow access,",
        "   close the window, and press Save.",
        "2. Switch to Sam Rep and open a contact, an account or an opportunity: the canvas shows its invoices.",
    ])


DEMO_PORTS = (5001, 5002, 5006)  # emulator, panel, Salesforce


def run_salesforce_demo(ports: tuple[int, int, int] = DEMO_PORTS, *, seed: int = 1,
                        until: Callable[[SalesforceWorld], None] | None = None) -> int:
    """`xero-panel demo --host salesforce`: the whole Salesforce world on loopback until Ctrl-C."""
    import logging
    import time

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    world = start_salesforce_world(ports=ports, seed=seed)
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
