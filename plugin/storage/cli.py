"""`xero-panel db upgrade|current`: migrations on the app's database (XERO_PANEL_DATABASE_URL)."""

from __future__ import annotations

from flask import Flask

from plugin.storage import get_database, migrate


def upgrade(app: Flask) -> str:
    store = get_database(app)
    try:
        before = migrate.current(store.engine)
        migrate.upgrade(store.engine)
        return f"{_where(store)}: schema {before or 'empty'} -> {migrate.current(store.engine)} (head)"
    finally:
        store.dispose()


def current(app: Flask) -> str:
    store = get_database(app)
    try:
        schema = migrate.current(store.engine)
        state = "up to date" if schema == migrate.head() else f"behind head {migrate.head()}"
        return f"{_where(store)}: schema {schema or 'empty'} ({state})"
    finally:
        store.dispose()


def _where(store) -> str:  # type: ignore[no-untyped-def]
    return store.engine.url.render_as_string(hide_password=True)
