"""`xero-panel db upgrade|current`: migrations on the configured database (XERO_PANEL_DATABASE_URL)."""

from __future__ import annotations

import argparse

from plugin.storage import get_database, migrate


def run(args: argparse.Namespace) -> int:
    from plugin import create_app

    app = create_app({"DATABASE_AUTO_UPGRADE": False})
    store = get_database(app)
    where = store.engine.url.render_as_string(hide_password=True)
    try:
        if args.action == "upgrade":
            before = migrate.current(store.engine)
            migrate.upgrade(store.engine)
            print(f"{where}: schema {before or 'empty'} -> {migrate.current(store.engine)} (head)")
        else:
            current = migrate.current(store.engine)
            state = "up to date" if current == migrate.head() else f"behind head {migrate.head()}"
            print(f"{where}: schema {current or 'empty'} ({state})")
    finally:
        store.dispose()
    return 0
