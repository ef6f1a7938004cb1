"""Storage: SQLAlchemy 2 on SQLite (default, instance/panel.sqlite) or PostgreSQL (`postgresql+psycopg://`).

    db = get_database()                       # inside an app context
    db.pins.set_pinned(account, record, tenant_id, invoice_id, True)
    db.connections.active_for(account)

`open_store` (called once per app by plugin.services) builds the engine and cipher and, unless
DATABASE_AUTO_UPGRADE is false, brings the schema up to date with Alembic.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.wrappers import Response

from plugin.domain.clock import Clock
from plugin.domain.matching import RecordKey  # re-exported: links and pins hang on it
from plugin.domain.text import N_
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
    "open_store",
]

log = logging.getLogger(__name__)

STORAGE_UNAVAILABLE_MESSAGE = N_("The panel can't reach its database right now. Try again in a minute.")


class PanelStore(Database):
    """The app's database with its repositories attached."""

    def __init__(self, engine: Engine, cipher: TokenCipher, clock: Clock) -> None:
        super().__init__(engine, cipher, clock)
        self.installations = Installations(self)
        self.connections = Connections(self)
        self.pins = Pins(self)
        self.contact_links = ContactLinks(self)
        self.host_tokens = HostTokens(self)


def open_store(app: Flask, clock: Clock) -> PanelStore:
    """The app's database (migrated unless DATABASE_AUTO_UPGRADE is false); a database that is down while a request
    runs is a plain 503 page."""
    app.config.setdefault("DATABASE_AUTO_UPGRADE", True)
    url = database_url(app.config.get("DATABASE_URL") or "", app.instance_path)
    store = PanelStore(build_engine(url), cipher_for(app), clock)
    app.extensions["storage"] = store
    for error in (OperationalError, InterfaceError):
        app.register_error_handler(error, _storage_unavailable)
    if _as_bool(app.config["DATABASE_AUTO_UPGRADE"]):
        migrate.upgrade(store.engine)
    return store


def _storage_unavailable(error: OperationalError | InterfaceError) -> Response:
    """The database is down, locked or unreachable: a plain 503 page instead of a 500, and the cause in the log.

    Only the driver's own message is logged: SQLAlchemy's full text carries the statement's parameters.
    """
    log.error("database unavailable during %s %s: %s: %s", request.method, request.path,
              type(error.orig).__name__, error.orig)
    body = render_template("embed/error.html", status=503, message=STORAGE_UNAVAILABLE_MESSAGE)
    return Response(body, status=503, mimetype="text/html", headers={"Retry-After": "60"})


def get_database(app: Flask | None = None) -> PanelStore:
    """The app's store, for scripts and tests (the app's own code reaches it through plugin.services)."""
    return (app or current_app).extensions["storage"]


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
