"""Database fixtures, imported by tests/storage/conftest.py and tests/test_connection*.py: the same tests
on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`).

Each PostgreSQL test gets a schema of its own (search_path in the URL), dropped afterwards, so parallel
runs and CI jobs sharing the server never see each other's tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from plugin import create_app
from plugin.storage import PanelStore, get_database

POSTGRES_USERS = ("postgres", "root")


def postgres_base_url() -> str | None:
    """A working PostgreSQL URL (SQLAlchemy form), or None when the server is not reachable."""
    configured = os.environ.get("TEST_POSTGRES_URL")
    defaults = [f"postgresql+psycopg://{user}@127.0.0.1:5432/test" for user in POSTGRES_USERS]
    candidates = [configured] if configured else defaults
    import psycopg

    for url in candidates:
        try:
            with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=2):
                return url
        except psycopg.Error:
            continue
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = postgres_base_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (database `test`, user postgres or root)")
    return url


@pytest.fixture
def postgres_schema_url(postgres_url) -> Iterator[str]:
    """A URL whose tables live in a fresh schema, dropped after the test."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    plain = postgres_url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/panel.sqlite"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def storage_app(database_url, clock, tmp_path):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": database_url})
    yield app
    get_database(app).dispose()


@pytest.fixture
def store(storage_app) -> PanelStore:
    return get_database(storage_app)
