# ruff: noqa: F811  (the database fixtures are imported by name, as pytest finds them)
"""The refresh race against the emulator over HTTP: workers in separate processes (and threads) refresh
the same stored token set at once. Xero (the emulator) must see exactly one rotation, and no worker
may get invalid_grant."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.fernet import Fernet

from plugin import create_app
from plugin.domain.clock import FixedClock
from plugin.services import services
from plugin.storage import get_database
from plugin.xero.parse import parse_token_set
from tests.conftest import TODAY
from tests.storage.databases import database_url, postgres_schema_url, postgres_url  # noqa: F401

ACCOUNT = "race-account"
TOKEN_KEY = Fernet.generate_key().decode()  # made per process; children are handed the parent's




def panel_app(database: str, emulator_url: str, token_key: str = TOKEN_KEY):
    return create_app({
        "TESTING": True, "CLOCK": FixedClock.at(TODAY), "DATABASE_URL": database, "TOKEN_KEY": token_key,
        "XERO_EMULATOR_URL": emulator_url,
    })


def connect_account(app, emulator) -> str:
    """Store a consent from the emulator, as the admin flow would, and return its access token."""
    answer = emulator.state.issue_token_set()
    tokens = parse_token_set(answer, FixedClock.at(TODAY).now())
    tenant = emulator.state.tenants[0]
    connections = get_database(app).connections
    connections.store_consent(ACCOUNT, tokens, connected_by_email="demo@example.com")
    connections.choose_tenant(ACCOUNT, tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate(ACCOUNT)
    return tokens.access_token


def _refresh_in_child(database: str, emulator_url: str, token_key: str, rejected: str, start, results) -> None:
    app = panel_app(database, emulator_url, token_key)
    try:
        start.wait(timeout=60)
        results.put(("ok", services(app).stored_tokens(ACCOUNT).refresh_after_rejection(rejected)))
    except Exception as error:  # reported to the parent, which fails the test with it
        results.put(("error", f"{type(error).__name__}: {error}"))
    finally:
        get_database(app).dispose()


@pytest.mark.slow
def test_processes_refreshing_at_once_rotate_once_at_the_emulator(database_url, emulator):
    app = panel_app(database_url, emulator.url)
    rejected = connect_account(app, emulator)
    grants_before = len(emulator.state.refresh_grants)
    workers = 3
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(workers), spawn.Queue()
    children = [
        spawn.Process(target=_refresh_in_child, args=(database_url, emulator.url, TOKEN_KEY, rejected, start, results))
        for _ in range(workers)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=30)

    assert [kind for kind, _ in outcomes] == ["ok"] * workers, outcomes
    assert len({token for _, token in outcomes}) == 1  # all workers use the one new access token
    assert len(emulator.state.refresh_grants) == grants_before + 1  # exactly one rotation
    stored = get_database(app).connections.get(ACCOUNT)
    assert stored.is_active and stored.token_version == 2
    get_database(app).dispose()


def test_threads_refreshing_at_once_rotate_once_at_the_emulator(database_url, emulator):
    app = panel_app(database_url, emulator.url)
    rejected = connect_account(app, emulator)
    grants_before = len(emulator.state.refresh_grants)
    start = threading.Barrier(4)

    def refresh(_: int) -> str:
        start.wait()
        return services(app).stored_tokens(ACCOUNT).refresh_after_rejection(rejected)

    with ThreadPoolExecutor(max_workers=4) as pool:
        tokens = set(pool.map(refresh, range(4)))

    assert len(tokens) == 1 and rejected not in tokens
    assert len(emulator.state.refresh_grants) == grants_before + 1
    get_database(app).dispose()


def test_a_client_for_the_account_reads_xero_and_refreshes_through_storage(database_url, emulator):
    app = panel_app(database_url, emulator.url)
    connect_account(app, emulator)
    with app.app_context():
        client = services().xero_client(ACCOUNT)
        assert client.organisation().name
        tokens = services().stored_tokens(ACCOUNT)
        stale = get_database().connections.tokens(ACCOUNT).access_token
        assert tokens.refresh_after_rejection(stale) != stale
        assert client.organisation().name  # the same client picks up the rotated token from storage
    get_database(app).dispose()
