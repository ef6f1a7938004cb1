"""`xero-panel emulator --port P --seed N`: serve the emulator on 127.0.0.1 and say what it serves."""

from __future__ import annotations

import argparse
import threading

import click

from plugin.emulator import DEMO_EMAIL, DEMO_PASSWORD, create_emulator, emulator_state
from plugin.web.serving import serve_in_thread

LOOPBACK = "127.0.0.1"


def describe(url: str, app) -> str:
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


def run(args: argparse.Namespace) -> int:
    if args.host != LOOPBACK:
        raise SystemExit(f"the emulator binds to {LOOPBACK} only (asked for {args.host})")
    app = create_emulator(seed=args.seed, redirect_uris=tuple(args.redirect_uri or ()))
    server = serve_in_thread(app, host=LOOPBACK, port=args.port)
    emulator_state(app).base_url = server.url
    print(describe(server.url, app), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


@click.command("emulator", help="Run the local Xero emulator.")
@click.option("--host", default=LOOPBACK, show_default=True)
@click.option("--port", type=int, default=5001, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--redirect-uri", multiple=True, help="extra redirect URI to register for the demo client")
def command(host: str, port: int, seed: int, redirect_uri: tuple[str, ...]) -> None:
    raise SystemExit(run(argparse.Namespace(host=host, port=port, seed=seed, redirect_uri=list(redirect_uri))))
