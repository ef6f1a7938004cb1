"""The `xero-panel` command (click, Flask's own): the product's commands, plus the dev kit's.

It sits beside `create_app` at the top of the package because its commands build the app. The dev kit
(emulator, demo CRM, benchmark) adds its commands through the `xero_panel.commands` entry-point group,
so the product never imports the dev kit; an installation without it simply has fewer commands.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import click

from plugin import create_app
from plugin.embed import cli as embed_cli
from plugin.hosts import freshworks_package, hubspot_package, salesforce_package
from plugin.storage import cli as storage_cli
from plugin.web import serve as web_serve

DEV_KIT_GROUP = "xero_panel.commands"


class PanelCommands(click.Group):
    """The product's commands, and the dev kit's found through entry points when it is installed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(point.name for point in entry_points(group=DEV_KIT_GROUP))})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        for point in entry_points(group=DEV_KIT_GROUP, name=cmd_name):
            return point.load()
        return None


@click.group(cls=PanelCommands, help="The Xero invoice panel.")
def main() -> None:
    pass


@main.command(help="Run the panel app under gunicorn.")
@click.option("--bind", default="127.0.0.1:5002", show_default=True)
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--threads", type=int, default=4, show_default=True, help="threads per worker")
@click.option("--access-log", default=None, help="file for gunicorn's access log ('-' for stdout; off by default)")
def serve(bind: str, workers: int, threads: int, access_log: str | None) -> None:
    options = web_serve.gunicorn_options(bind=bind, workers=workers, threads=threads, access_log=access_log)
    sys.exit(web_serve.run(create_app, options))


@main.command(help="Print a signed embedding-context URL, as a CRM would frame it (for local testing).")
@click.option("--account", required=True, help="CRM account id")
@click.option("--role", type=click.Choice(["admin", "member"]), default="member", show_default=True)
@click.option("--record", default="contact:1", show_default=True, help="TYPE:ID, e.g. contact:42")
@click.option("--email", default="", help="the record's email")
@click.option("--name", default="", help="the record's name")
@click.option("--company", default="", help="the record's company name")
@click.option("--user-id", default="u1", show_default=True)
@click.option("--user-email", default="rep@example.com", show_default=True)
@click.option("--user-name", default="Demo Rep", show_default=True)
@click.option("--locale", default="en-NZ", show_default=True)
@click.option("--timezone", default="Pacific/Auckland", show_default=True)
@click.option("--page", type=click.Choice(["panel", "admin"]), default="panel", show_default=True)
@click.option("--secret", default=None, help="signing secret (default: configured CONTEXT_SECRET)")
@click.option("--base-url", default=None, help="panel base URL (default: configured PUBLIC_URL)")
def context(**options: str) -> None:
    app = create_app({"DATABASE_AUTO_UPGRADE": False})
    click.echo(embed_cli.context_url(app, embed_cli.ContextRequest(**options)))


@main.command(help="Database migrations on the configured database: `db upgrade` or `db current`.")
@click.argument("action", type=click.Choice(["upgrade", "current"]))
def db(action: str) -> None:
    app = create_app({"DATABASE_AUTO_UPGRADE": False})
    click.echo(storage_cli.upgrade(app) if action == "upgrade" else storage_cli.current(app))


@main.group(help="Write a CRM host's installable package (its app definition, with our URLs filled in).")
def package() -> None:
    pass


# Each host that ships a package adds its command here: package.add_command(<host module>.package_command)
package.add_command(hubspot_package.command)
package.add_command(salesforce_package.package_command)
package.add_command(freshworks_package.package_command)


if __name__ == "__main__":
    main()
