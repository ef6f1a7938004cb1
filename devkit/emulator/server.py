"""Serve the emulator on 127.0.0.1: `xero-panel emulator` (`run_emulator`) and, for tests and tools,
`serve_emulator`, which returns the served emulator's URL, app and control state."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Flask

from devkit.clock import Clock
from devkit.emulator import DEMO_EMAIL, DEMO_PASSWORD, EmulatorState, create_emulator, emulator_state
from devkit.serving import LOOPBACK, RunningServer, serve_in_thread


@dataclass
class ServedEmulator:
    """The emulator behind a real socket: `url` (base URL), `app` (Flask app), `state` (EmulatorState)."""

    app: Flask
    server: RunningServer = field(repr=False)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def state(self) -> EmulatorState:
        return emulator_state(self.app)

    def stop(self) -> None:
        self.state.reset_faults()  # lets go of requests held by a time-out fault, so the server can stop
        self.server.stop()


def serve_emulator(*, seed: int = 1, clock: Clock | None = None, port: int = 0, redirect_uris: Iterable[str] = (),
                   webhook_url: str | None = None, webhook_key: str | None = None) -> ServedEmulator:
    """Create an emulator and serve it on loopback (port 0: a free one); its tokens name the served URL."""
    app = create_emulator(seed=seed, clock=clock, redirect_uris=redirect_uris, webhook_url=webhook_url,
                          webhook_key=webhook_key)
    served = ServedEmulator(app, serve_in_thread(app, host=LOOPBACK, port=port))
    served.state.base_url = served.url
    return served


def describe(url: str, app: Flask) -> str:
    state = emulator_state(app)
    orgs = "\n".join(f"    {t['name']} ({t['base_currency']}, {t['short_code']}): tenant {t['tenant_id']}"
                     for t in state.tenants)
    return (
        f"Xero emulator (seed {state.seed}) on {url}\n"
        f"  identity:   {url}/identity/connect/authorize, {url}/connect/token, {url}/connect/revocation\n"
        f"  jwks:       {url}/.well-known/openid-configuration/jwks\n"
        f"  api:        {url}/api.xro/2.0/{{Organisation,Contacts,Invoices,Payments}}, {url}/connections\n"
        f"  deep links: {url}/go/organisationlogin/default.aspx\n"
        f"  controls:   {url}/_emulator/ (JSON)\n"
        f"  sign in as: {DEMO_EMAIL} / {DEMO_PASSWORD} (both organisations), olivia@example.com / demo (one)\n"
        f"  organisations:\n{orgs}"
    )


def run_emulator(*, host: str = LOOPBACK, port: int = 5001, seed: int = 1, redirect_uris: Iterable[str] = (),
                 until: threading.Event | None = None) -> int:
    """Serve the emulator until Ctrl-C (or until `until` is set) and print what it serves."""
    if host != LOOPBACK:
        raise SystemExit(f"the emulator binds to {LOOPBACK} only (asked for {host})")
    served = serve_emulator(seed=seed, port=port, redirect_uris=tuple(redirect_uris))
    print(describe(served.url, served.app), flush=True)
    try:
        (until or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        served.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    """The argparse form (plugin/cli.py's COMMANDS table)."""
    return run_emulator(host=args.host, port=args.port, seed=args.seed, redirect_uris=args.redirect_uri or ())
