"""PostgreSQL drops the app's connections (a restart, a fail-over, pg_terminate_backend): the next
requests get fresh connections (pool pre-ping) and the rep never sees it. Only this app's connections
are terminated: they carry an application_name no one else uses."""

from __future__ import annotations

import secrets

import pytest

from plugin import create_app
from plugin.services import services
from plugin.storage import get_database
from tests.faults.conftest import bounded, fault_app_config, rows_in, text_of
from tests.panel.conftest import contact_record
from tests.storage.databases import postgres_schema_url, postgres_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgres

APPLICATION_NAME = f"xero-panel-faults-{secrets.token_hex(4)}"


@pytest.fixture
def panel_app(tmp_path, clock, emulator, postgres_schema_url):  # noqa: F811
    url = f"{postgres_schema_url}&application_name={APPLICATION_NAME}"
    app = create_app(fault_app_config(tmp_path, clock, emulator, DATABASE_URL=url))
    yield app
    get_database(app).dispose()


def terminate_this_apps_connections(postgres_url: str) -> int:  # noqa: F811
    import psycopg

    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()[0]


def test_killed_connections_are_replaced_unseen(panel, opened, customer, connected, postgres_url):  # noqa: F811
    assert terminate_this_apps_connections(postgres_url) >= 1, "the app's pooled connection was terminated"
    for view in ("paid", "unpaid"):
        response = bounded(lambda view=view: panel.get("/panel/invoices", view=view))
        assert response.status_code == 200 and rows_in(text_of(response)) > 0
    with panel.app.app_context():
        snapshot = services(panel.app).snapshots.get(connected["tenant_id"], customer["contact_id"])
    invoice_id = snapshot.facts.listed[0].invoice_id  # a write: only this customer's (listed) invoices can be pinned
    assert bounded(lambda: panel.post(f"/panel/pins/{invoice_id}", pinned="true")).status_code == 200
    assert 'aria-pressed="true"' in text_of(panel.get("/panel/invoices", view="pinned"))
    assert terminate_this_apps_connections(postgres_url) >= 1
    assert rows_in(text_of(bounded(lambda: panel.open(contact_record(customer))))) > 0
