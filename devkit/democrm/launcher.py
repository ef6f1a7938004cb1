"""`xero-panel demo`: the Xero emulator, the panel and the demo CRM, in one process on three loopback ports.

Three ports make three origins, so the CRM frames the panel cross-origin exactly as in production.
`start_demo` is the programmatic form (tests and the browser suite start it on free ports).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from devkit.clock import Clock
from devkit.democrm.app import DEFAULT_ACCOUNT_ID, create_demo_crm, crm_directory
from devkit.democrm.records import Directory, build_directory
from devkit.emulator import EmulatorState, create_emulator, emulator_state
from devkit.serving import RunningServer, serve_in_thread

OAUTH_CALLBACK_PATH = "/admin/oauth/callback"
WEBHOOK_PATH = "/webhooks/xero"  # where the panel takes Xero webhooks
DEFAULT_PORTS = (5001, 5002, 5003)  # emulator, panel, CRM


class _LateApp:
    """A WSGI app filled in after its server has bound a port: each app must know the others' URLs."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.app is None:  # only between binding and start_demo's return
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "1")])
            return [b"The demo is starting."]
        return self.app(environ, start_response)


@dataclass
class DemoHandle:
    emulator_url: str
    panel_url: str
    crm_url: str
    emulator_state: EmulatorState  # the emulator's Python control API
    context_secret: str = field(repr=False)
    account_id: str
    emulator_app: Flask
    panel_app: Flask
    crm_app: Flask
    _servers: list[RunningServer] = field(default_factory=list, repr=False)
    _cleanup: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def directory(self) -> Directory:
        """The CRM's records (contacts, accounts, deals), as its pages list them."""
        return crm_directory(self.crm_app)

    def stop(self) -> None:
        """Stop the three servers and remove the demo's temporary data (idempotent)."""
        _stop_all(self._servers)
        self._servers.clear()
        while self._cleanup:
            self._cleanup.pop()()


def start_demo(
    ports: tuple[int, int, int] = (0, 0, 0),
    seed: int = 1,
    clock: Clock | None = None,
    *,
    data_dir: str | Path | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> DemoHandle:
    """Start emulator, panel and CRM on (emulator, panel, crm) ports; 0 picks a free port.

    The panel's database lives in `data_dir` (default: a fresh temporary folder removed by `stop()`),
    because the emulator's tokens and tenants exist only for this run. The context secret is new
    for every run too.
    """
    servers = _bind(ports)
    cleanup: list[Callable[[], None]] = []
    try:
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="xero-panel-demo-")
            cleanup.append(lambda path=data_dir: shutil.rmtree(path, ignore_errors=True))
        emulator_url, panel_url, crm_url = (server.url for server in servers)
        context_secret = secrets.token_urlsafe(32)
        webhook_key = secrets.token_urlsafe(32)  # Xero's webhook signing key, new every run like the rest
        emulator, state = _emulator(seed, clock, emulator_url, panel_url, webhook_key)
        panel = _panel(panel_url, emulator_url, crm_url, context_secret, Path(data_dir), clock, webhook_key)
        organisation = _demo_organisation(state)
        crm = create_demo_crm(panel_url=panel_url, context_secret=context_secret, account_id=account_id,
                              directory=lambda: build_directory(state.customers(organisation["tenant_id"])),
                              clock=clock, issuer=panel.config["CONTEXT_ISSUER"],
                              audience=panel.config["CONTEXT_AUDIENCE"])
        crm.config["DEMO_ORGANISATION"] = organisation["name"]
    except BaseException:
        _stop_all(servers)
        for step in cleanup:
            step()
        raise
    for server, app in zip(servers, (emulator, panel, crm), strict=True):
        server.server.app.app = app
    return DemoHandle(emulator_url, panel_url, crm_url, state, context_secret, account_id,
                      emulator, panel, crm, servers, cleanup)


def _bind(ports: tuple[int, int, int]) -> list[RunningServer]:
    servers: list[RunningServer] = []
    try:
        for port in ports:
            servers.append(_serve(port))
    except OSError:
        _stop_all(servers)
        raise
    return servers


def _stop_all(servers: list[RunningServer]) -> None:
    """Stop servers side by side: each shutdown waits for its serve loop's next poll."""
    threads = [threading.Thread(target=server.stop) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _serve(port: int) -> RunningServer:
    try:
        return serve_in_thread(_LateApp(), port=port)
    except SystemExit:  # werkzeug's make_server exits the process when the port is taken
        raise OSError(f"port {port} is in use") from None


def _emulator(seed: int, clock: Clock | None, emulator_url: str, panel_url: str,
              webhook_key: str) -> tuple[Flask, EmulatorState]:
    """The emulator, delivering signed webhooks to the panel when its data changes, as Xero would."""
    app = create_emulator(seed=seed, clock=clock, redirect_uris=(panel_url + OAUTH_CALLBACK_PATH,),
                          webhook_url=panel_url + WEBHOOK_PATH, webhook_key=webhook_key)
    state = emulator_state(app)
    state.base_url = emulator_url  # the issuer of its tokens, which the panel checks
    return app, state


def _demo_organisation(state: EmulatorState) -> dict[str, str]:
    """The organisation the CRM's customers come from: the first one, which Xero's consent page ticks.

    Records from every organisation would leave half the CRM unmatched once one is connected."""
    return state.tenants[0]


def _panel(panel_url: str, emulator_url: str, crm_url: str, context_secret: str, data_dir: Path,
           clock: Clock | None, webhook_key: str) -> Flask:
    from plugin import create_app  # the product's public factory: the one name the dev kit takes from it

    config: dict[str, Any] = {
        "PUBLIC_URL": panel_url,
        "XERO_MODE": "emulator",  # the panel talks to this emulator only because it is told to
        "XERO_EMULATOR_URL": emulator_url,
        "CRM_ORIGINS": crm_url,
        "CONTEXT_SECRET": context_secret,
        "DATABASE_URL": f"sqlite:///{data_dir / 'panel.sqlite'}",
        "WEBHOOK_KEY": webhook_key,
    }
    if clock is not None:
        config["CLOCK"] = clock
    return create_app(config)


def welcome(handle: DemoHandle) -> str:
    return "\n".join([
        "",
        "Xero invoice panel demo is running.",
        "",
        f"  Open the demo CRM:  {handle.crm_url}/",
        f"  (panel app {handle.panel_url}, Xero emulator {handle.emulator_url})",
        "",
        "  1. You start as Ada Admin. Open Admin settings > Apps & Integrations > Xero",
        f"     ({handle.crm_url}/settings/integrations/xero) and click Connect to Xero.",
        "  2. Sign in as demo@example.com with password demo and allow access to",
        f"     {handle.crm_app.config['DEMO_ORGANISATION']}. Back in the CRM, click Save.",
        "  3. Switch to Sam Rep (top right) and open a contact from Contacts.",
        "",
        "Press Ctrl-C to stop. Nothing is kept between runs.",
        "",
    ])


def wait_for_interrupt(handle: DemoHandle) -> None:
    """Block until Ctrl-C or SIGTERM."""
    stopped = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()


def run(args: argparse.Namespace, *, until: Callable[[DemoHandle], None] = wait_for_interrupt) -> int:
    """The argparse form (plugin/cli.py's COMMANDS table)."""
    return run_demo((args.emulator_port, args.panel_port, args.crm_port), seed=args.seed, until=until)


def run_demo(ports: tuple[int, int, int] = DEFAULT_PORTS, *, seed: int = 1,
             until: Callable[[DemoHandle], None] = wait_for_interrupt) -> int:
    """`xero-panel demo`: start the three apps, print how to use them, and stop them when `until` returns."""
    # Request lines would bury the welcome, and panel URLs carry signed contexts that logs must not keep.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        handle = start_demo(ports, seed=seed)
    except OSError as error:
        print(f"Could not start the demo on ports {ports}: {error}.\n"
              "Another program may be using one of them; pick others with "
              "--emulator-port, --panel-port and --crm-port.", file=sys.stderr)
        return 1
    try:
        print(welcome(handle), flush=True)
        until(handle)
    finally:
        handle.stop()
        print("Demo stopped.", flush=True)
    return 0
