"""Per-app services kept in app.extensions["plugin"], reached through small accessors."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, current_app
from flask_htmx import HTMX

from plugin.clock import Clock, SystemClock

htmx = HTMX()


def init_app(app: Flask) -> None:
    app.extensions["plugin"] = {"clock": app.config.get("CLOCK") or SystemClock()}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app, "secret_key")
    htmx.init_app(app)


def get_clock() -> Clock:
    return current_app.extensions["plugin"]["clock"]


def _instance_secret(app: Flask, name: str) -> str:
    """A random secret kept in the instance folder (mode 0600), made on first use."""
    path = Path(app.instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
