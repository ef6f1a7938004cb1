"""Storage: SQLAlchemy 2 on SQLite (default, instance/panel.sqlite) or PostgreSQL (`postgresql+psycopg://`).

    db = get_database()                       # inside an app context
    db.pins.set_pinned(account, record, tenant_id, invoice_id, True)
    db.connections.active_for(account)

`init_app` builds the engine and cipher once per app and, unless DATABASE_AUTO_UPGRADE is false,
brings the schema up to date with Alembic.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.wrappers import Response

from plugin.clock import Clock
from plugin.storage import migrate
from plugin.storage.crypto import TokenCipher, TokenDecryptError, cipher_for
from plugin.storage.database import Database, build_engine, database_url
from plugin.storage.models import STATUS_ACTIVE, STATUS_NEEDS_RECONNECT, STATUS_PENDING
from plugin.storage.repositories import (
    ConnectionInfo,
    Connections,
    ContactLinkInfo,
    ContactLinks,
    HostTokens,
    HostTokenSet,
    InstallationInfo,
    Installations,
    LockedTokens,
    NoConnection,
    PinInfo,
    Pins,
    RecordKey,
    RecordLike,
)

__all__ = [
    "STATUS_ACTIVE",
    "STATUS_NEEDS_RECONNECT",
    "STATUS_PENDING",
    "ConnectionInfo",
    "Connections",
    "ContactLinkInfo",
    "ContactLinks",
    "Database",
    "HostTokenSet",
    "HostTokens",
    "InstallationInfo",
    "Installations",
    "LockedTokens",
    "NoConnection",
    "PanelStore",
    "PinInfo",
    "Pins",
    "RecordKey",
    "RecordLike",
    "TokenCipher",
    "TokenDecryptError",
    "get_database",
    "init_app",
]

log = logging.getLogger(__name__)

STORAGE_UNAVAILABLE_MESSAGE = "The panel can't reach its database right now. Try again in a minute."


class PanelStore(Database):
    """The app's database with its repositories attached."""

    def __init__(self, engine: Engine, cipher: TokenCipher, clock: Clock) -> None:
        super().__init__(engine, cipher, clock)
        self.installations = Installations(self)
        self.connections = Connections(self)
        self.pins = Pins(self)
        self.contact_links = ContactLinks(self)
        self.host_tokens = HostTokens(self)


def init_app(app: Flask) -> None:
    app.config.setdefault("DATABASE_AUTO_UPGRADE", True)
    url = database_url(app.config.get("DATABASE_URL") or "", app.instance_path)
    store = PanelStore(build_engine(url), cipher_for(app), app.extensions["plugin"]["clock"])
    app.extensions["storage"] = store
    for error in (OperationalError, InterfaceError):
        app.register_error_handler(error, _storage_unavailable)
    if _as_bool(app.config["DATABASE_AUTO_UPGRADE"]):
        migrate.upgrade(store.engine)


def _storage_unavailable(error: OperationalError | InterfaceError) -> Response:
    """The database is down, locked or unreachable: a plain 503 page instead of a 500, and the cause in the log.

    Only the driver's own message is logged: SQLAlchemy's full text carries the statement's parameters.
    """
    log.error("database unavailable during %s %s: %s: %s", request.method, request.path,
              type(error.orig).__name__, error.orig)
    body = render_template("embed/error.html", status=503, message=STORAGE_UNAVAILABLE_MESSAGE)
    return Response(body, status=503, mimetype="text/html", headers={"Retry-After": "60"})


def get_database(app: Flask | None = None) -> PanelStore:
    return (app or current_app).extensions["storage"]


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
