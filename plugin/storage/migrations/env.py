"""Alembic environment: runs on the connection handed over by plugin.storage.migrate (the app's engine).

Run directly (`alembic -c ...`), it builds the app from the environment and uses that app's engine.
"""

from __future__ import annotations

from alembic import context

from plugin.storage.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite cannot ALTER most things; Alembic copies the table instead, rows included.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    raise SystemExit("Run migrations with `xero-panel db upgrade`; it hands Alembic the app's own connection.")


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `xero-panel db upgrade`.")
run_migrations_online()
