"""`xero-panel package hubspot --public-url URL`: write the HubSpot developer project (plugin/hosts/hubspot_project,
carried in the wheel as package data) with our URLs filled in: the card's `hubspot.fetch` target, the app's
permitted fetch and iframe URLs, and the OAuth redirect URL. Upload the result with HubSpot's CLI (`hs project
upload`, which installs the card's npm dependencies and builds it).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import click

PROJECT = Path(__file__).with_name("hubspot_project")
PLACEHOLDER = "__XERO_PANEL_PUBLIC_URL__"
FILLED = (".json", ".js", ".jsx")


def public_url_problem(url: str) -> str:
    """Why HubSpot would refuse `url` as a fetch and iframe target ("" when it would not)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "HubSpot calls only HTTPS URLs: give --public-url as https://host[/path]."
    if parts.hostname in ("localhost", "127.0.0.1", "::1") or parts.hostname.endswith(".localhost"):
        return "HubSpot can't reach localhost: give the public HTTPS address of this app."
    if parts.query or parts.fragment:
        return "--public-url is the app's base address, without a query or fragment."
    return ""


def write_project(public_url: str, out: Path) -> list[Path]:
    """Copy the project to `out` with `public_url` filled in; returns the files written."""
    base = public_url.rstrip("/")
    written = []
    for source in sorted(PROJECT.rglob("*")):
        if source.is_dir() or "node_modules" in source.parts or source.name.startswith("."):
            continue
        target = out / source.relative_to(PROJECT)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix in FILLED:
            target.write_text(source.read_text(encoding="utf-8").replace(PLACEHOLDER, base), encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(target)
    return written


@click.command("hubspot", help="Write the HubSpot developer project (app + app card) with this app's URLs.")
@click.option("--public-url", required=True, help="where HubSpot reaches this app over HTTPS (PUBLIC_URL)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("hubspot-project"),
              show_default=True, help="folder to write the project into")
def command(public_url: str, out: Path) -> None:
    problem = public_url_problem(public_url)
    if problem:
        raise click.UsageError(problem)
    if out.exists() and any(out.iterdir()):
        raise click.UsageError(f"{out} is not empty; choose another --out.")
    written = write_project(public_url, out)
    click.echo(f"Wrote the HubSpot project ({len(written)} files) to {out}.")
    click.echo(f"Then: cd {out} && hs project upload   (HubSpot CLI); set XERO_PANEL_HUBSPOT_CLIENT_ID and "
               "XERO_PANEL_HUBSPOT_CLIENT_SECRET from the app's Auth tab.")
