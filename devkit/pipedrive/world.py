"""The whole Pipedrive world on loopback: the Xero emulator, the panel configured as a Pipedrive app, and the small
Pipedrive framing it. `xero-panel demo --host pipedrive` runs it; tests/hosts and the browser test use it.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from devkit.pipedrive.app import create_pipedrive
from devkit.pipedrive.state import App, PipedriveState

PANEL_PATHS = {
    "redirect_uri": "/hosts/pipedrive/oauth/callback",
    "panel_url": "/hosts/pipedrive/panel",
    "settings_url": "/hosts/pipedrive/settings",
    "install_url": "/hosts/pipedrive/install",
    "uninstall_url": "/hosts/pipedrive/uninstall",
}
XERO_CALLBACK_PATH = "/admin/oauth/callback"


class _Late:
    """A WSGI app filled in after its server has bound a port (each app must know the others' URLs)."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "1")])
            return [b"Starting."]
        return self.app(environ, start_response)


@dataclass
class _Server:
    server: BaseWSGIServer
    thread: threading.Thread
    late: _Late

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _serve(port: int) -> _Server:
    late = _Late()
    server = make_server("127.0.0.1", port, late, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"devkit-{server.server_port}", daemon=True)
    thread.start()
    return _Server(server, thread, late)


@dataclass
class PipedriveWorld:
    panel_url: str
    pipedrive_url: str
    emulator_url: str
    panel_app: Flask
    pipedrive: PipedriveState
    emulator_state: Any
    _stops: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        while self._stops:
            self._stops.pop()()


def start_pipedrive_world(
    *,
    ports: tuple[int, int, int] = (0, 0, 0),
    seed: int = 1,
    clock: Any = None,
    emulator: tuple[str, Any] | None = None,
    jwt_secret: str = "",
    data_dir: str | Path | None = None,
    panel_config: dict[str, Any] | None = None,
) -> PipedriveWorld:
    """Start (emulator, panel, Pipedrive) on `ports` (0: any free port). `emulator` = (url, state) of one already
    running (the tests' session emulator); otherwise one is started with `seed` and `clock`."""
    from plugin import create_app

    stops: list[Callable[[], None]] = []
    emulator_port, panel_port, pipedrive_port = ports
    try:
        if emulator is None:
            emulator_url, emulator_state = _start_emulator(emulator_port, seed, clock, stops)
        else:
            emulator_url, emulator_state = emulator
        panel_server, pipedrive_server = _serve(panel_port), _serve(pipedrive_port)
        stops.extend([panel_server.stop, pipedrive_server.stop])
        panel_url, pipedrive_url = panel_server.url, pipedrive_server.url
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="xero-panel-pipedrive-")
            stops.insert(0, lambda path=data_dir: shutil.rmtree(path, ignore_errors=True))
        emulator_state.register_redirect_uri(panel_url + XERO_CALLBACK_PATH)

        app = App(jwt_secret=jwt_secret, **{name: panel_url + path for name, path in PANEL_PATHS.items()})
        state = PipedriveState(app=app, **({"now": lambda: clock.now().timestamp()} if clock is not None else {}))
        state.seed(_directory(emulator_state))
        config: dict[str, Any] = {
            "PUBLIC_URL": panel_url,
            "XERO_MODE": "emulator",
            "XERO_EMULATOR_URL": emulator_url,
            "CRM_ORIGINS": "",
            "CONTEXT_SECRET": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{Path(data_dir) / 'panel.sqlite'}",
            "PIPEDRIVE_CLIENT_ID": app.client_id,
            "PIPEDRIVE_CLIENT_SECRET": app.client_secret,
            "PIPEDRIVE_JWT_SECRET": jwt_secret,
            "PIPEDRIVE_OAUTH_URL": pipedrive_url,
            "PIPEDRIVE_FRAME_ORIGINS": pipedrive_url,
            **({"CLOCK": clock} if clock is not None else {}),
            **(panel_config or {}),
        }
        panel_app = create_app(config)
        panel_server.late.app = panel_app
        pipedrive_server.late.app = create_pipedrive(state)
    except BaseException:
        for stop in reversed(stops):
            stop()
        raise
    return PipedriveWorld(panel_url, pipedrive_url, emulator_url, panel_app, state, emulator_state, stops)


def _start_emulator(port: int, seed: int, clock: Any, stops: list[Callable[[], None]]) -> tuple[str, Any]:
    from devkit.emulator import create_emulator, emulator_state

    server = _serve(port)
    stops.append(server.stop)
    app = create_emulator(seed=seed, clock=clock)
    state = emulator_state(app)
    state.base_url = server.url
    server.late.app = app
    return server.url, state


def _directory(emulator_state: Any) -> Any:
    """The demo CRM's records, made from the first organisation's customers (the one Xero's consent ticks)."""
    from devkit.democrm.records import build_directory

    return build_directory(emulator_state.customers(emulator_state.tenants[0]["tenant_id"]))


def welcome(world: PipedriveWorld) -> str:
    return "\n".join([
        f"Pipedrive (dev kit): {world.pipedrive_url}/",
        f"Panel:               {world.panel_url}",
        f"Xero emulator:       {world.emulator_url}",
        "",
        f"1. Open {world.pipedrive_url}/ as Ada Admin and click 'Install Xero invoices', then 'Allow and install'.",
        "2. Back in Pipedrive, open 'App settings', click Connect to Xero, sign in as demo@example.com / demo,",
        "   Allow access, close the window, and press Save.",
        "3. Switch to Sam Rep and open a person, an organization or a deal: the sidebar shows its invoices.",
    ])


DEMO_PORTS = (5001, 5002, 5005)  # emulator, panel, Pipedrive


def run_pipedrive_demo(ports: tuple[int, int, int] = DEMO_PORTS, *, seed: int = 1,
                       until: Callable[[PipedriveWorld], None] | None = None) -> int:
    """`xero-panel demo --host pipedrive`: the whole Pipedrive world on loopback until Ctrl-C."""
    import logging
    import time

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # panel URLs carry signed tokens
    world = start_pipedrive_world(ports=ports, seed=seed)
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
