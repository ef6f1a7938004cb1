"""`xero-panel package freshworks --public-url URL`: write out our Freshworks Platform 3.0 app (its source is
package data, plugin/hosts/freshworks_app/) with this server's address filled in, ready for `fdk validate` and
`fdk pack`, or to upload as a custom app.

The only thing filled in is the default of the `panel_url` installation parameter; the shared secret, the
Freshsales domain and the API key are asked for when an admin installs the app (secure where they are secrets).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import click

APP_SOURCE = Path(__file__).with_name("freshworks_app")
URL_PLACEHOLDER = "__PUBLIC_URL__"
FILLED_IN = ("config/iparams.json",)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_public_url(url: str) -> str:
    """The server's address as the app needs it: https (http only on loopback, for the dev kit), no query."""
    parts = urlsplit(url.strip())
    loopback = parts.hostname in LOOPBACK
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not loopback) or not parts.hostname:
        raise ValueError("the public URL must be an https:// address (http:// only for 127.0.0.1 or localhost)")
    if parts.query or parts.fragment or any(c in url for c in "\"'<>\\ "):
        raise ValueError("the public URL may not have a query string, a fragment, quotes or spaces")
    return url.strip().rstrip("/")


def write_app(public_url: str, out: Path) -> list[Path]:
    """Copy the app's source to `out` with `public_url` filled in; the files written, relative to `out`."""
    url = check_public_url(public_url)
    written: list[Path] = []
    for source in sorted(APP_SOURCE.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        relative = source.relative_to(APP_SOURCE)
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.as_posix() in FILLED_IN:
            target.write_text(source.read_text(encoding="utf-8").replace(URL_PLACEHOLDER, url), encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(relative)
    return written


@click.command("freshworks", help="Write the Freshworks CRM app (Platform 3.0: manifest, installation parameters, "
               "request templates, serverless function, placeholder page) with this server's URL filled in.")
@click.option("--public-url", required=True, help="where this server is reachable (its PUBLIC_URL), https://...")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("freshworks-app"),
              show_default=True, help="folder to write the app into (created; existing files are replaced)")
def package_command(public_url: str, out: Path) -> None:
    try:
        written = write_app(public_url, out)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--public-url") from None
    click.echo(f"Wrote the Freshworks app ({len(written)} files) to {out}/ for {check_public_url(public_url)}.")
    click.echo("Next: `fdk validate` and `fdk pack` there, upload it under Admin settings > Apps > Custom apps, and "
               "give the server the same shared secret as FRESHWORKS_CONTEXT_SECRET.")
