"""The dev kit's commands for `xero-panel`, as click commands.

They are registered under the entry-point group `xero_panel.commands` (pyproject.toml), so a CLI that
loads that group gains `demo` and `emulator` without importing the dev kit by name:

    for entry in importlib.metadata.entry_points(group="xero_panel.commands"):
        group.add_command(entry.load(), entry.name)
"""

from __future__ import annotations

import click

from devkit.serving import LOOPBACK


@click.command("demo", help="Run the Xero emulator, the panel and a CRM (the demo CRM, or with --host a small "
               "Pipedrive, HubSpot, Salesforce or Freshworks with the panel installed as its app) on loopback ports.")
@click.option("--host", "crm_host",
              type=click.Choice(["generic", "pipedrive", "hubspot", "salesforce", "freshworks"]),
              default="generic",
              show_default=True, help="the CRM that embeds the panel: the demo CRM (our signed context) or a stand-in")
@click.option("--emulator-port", type=int, default=5001, show_default=True, help="port of the Xero emulator")
@click.option("--panel-port", type=int, default=5002, show_default=True, help="port of the panel app")
@click.option("--crm-port", type=int, default=None,
              help="port of the CRM  [default: 5003, Pipedrive 5005, HubSpot, Salesforce and Freshworks 5006]")
@click.option("--seed", type=int, default=1, show_default=True, help="seed of the emulator's invoices")
def demo(crm_host: str, emulator_port: int, panel_port: int, crm_port: int | None, seed: int) -> None:
    if crm_host == "freshworks":
        from devkit.freshworks.world import run_freshworks_demo

        raise SystemExit(run_freshworks_demo((emulator_port, panel_port, crm_port or 5006), seed=seed))
    if crm_host == "pipedrive":
        from devkit.pipedrive.world import run_pipedrive_demo

        raise SystemExit(run_pipedrive_demo((emulator_port, panel_port, crm_port or 5005), seed=seed))
    if crm_host == "hubspot":
        from devkit.hubspot.world import run_hubspot_demo

        raise SystemExit(run_hubspot_demo((emulator_port, panel_port, crm_port or 5006), seed=seed))
    if crm_host == "salesforce":
        from devkit.salesforce.world import run_salesforce_demo

        raise SystemExit(run_salesforce_demo((emulator_port, panel_port, crm_port or 5006), seed=seed))
    from devkit.democrm.launcher import run_demo

    raise SystemExit(run_demo((emulator_port, panel_port, crm_port or 5003), seed=seed))


@click.command("emulator", help="Run the local Xero emulator on 127.0.0.1.")
@click.option("--host", default=LOOPBACK, show_default=True, help="only 127.0.0.1 is accepted")
@click.option("--port", type=int, default=5001, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="seed of the emulator's invoices")
@click.option("--redirect-uri", "redirect_uris", multiple=True,
              help="extra redirect URI to register for the demo client (repeatable)")
def emulator(host: str, port: int, seed: int, redirect_uris: tuple[str, ...]) -> None:
    from devkit.emulator.server import run_emulator

    raise SystemExit(run_emulator(host=host, port=port, seed=seed, redirect_uris=redirect_uris))
