"""The database briefly unavailable: a plain 503 page that says so (never a 500), the cause in the log,
and everything back as it was once the database is."""

from __future__ import annotations

import pytest

from plugin import create_app
from plugin.services import services
from plugin.storage import RecordKey, get_database
from tests.faults.conftest import assert_logged, bounded, fault_app_config, rows_in, text_of
from tests.panel.conftest import contact_record

UNREACHABLE = "The panel can't reach its database right now."


@pytest.fixture
def database_folder(tmp_path):
    folder = tmp_path / "database"
    folder.mkdir()
    return folder


@pytest.fixture
def panel_app(tmp_path, clock, emulator, database_folder):
    url = f"sqlite:///{database_folder}/panel.sqlite"
    return create_app(fault_app_config(tmp_path, clock, emulator, DATABASE_URL=url))


class Outage:
    """Moves the SQLite file's folder away (and closes pooled connections), then puts it back."""

    def __init__(self, app, folder) -> None:
        self.app, self.folder, self.away = app, folder, folder.with_name("database-away")

    def __enter__(self) -> Outage:
        get_database(self.app).dispose()
        self.folder.rename(self.away)
        return self

    def __exit__(self, *exc) -> None:
        self.away.rename(self.folder)


def test_a_missing_database_gives_a_plain_503_then_recovers(panel, customer, connected, database_folder, log):
    with Outage(panel.app, database_folder):
        response = bounded(lambda: panel.open(contact_record(customer)))
        assert response.status_code == 503
        assert UNREACHABLE in text_of(response)
        assert response.headers["Retry-After"] == "60"
        assert "frame-ancestors" in response.headers["Content-Security-Policy"], "still framed like any panel page"
    assert_logged(log, "database unavailable", "GET /panel", "unable to open database file")
    assert rows_in(text_of(bounded(lambda: panel.open(contact_record(customer))))) > 0


def test_a_pin_during_the_outage_is_refused_plainly_and_works_after(panel, opened, customer, connected,
                                                                    database_folder):
    with panel.app.app_context():
        snapshot = services(panel.app).snapshots.get(connected["tenant_id"], customer["contact_id"])
    invoice_id = snapshot.facts.listed[0].invoice_id  # only this customer's (listed) invoices can be pinned
    with Outage(panel.app, database_folder):
        response = bounded(lambda: panel.post(f"/panel/pins/{invoice_id}"))
        assert response.status_code == 503 and UNREACHABLE in text_of(response)
    assert bounded(lambda: panel.post(f"/panel/pins/{invoice_id}")).status_code == 200
    record = contact_record(customer)
    pins = get_database(panel.app).pins.for_record("acct-1", RecordKey(record["type"], record["id"]),
                                                   connected["tenant_id"])
    assert [pin.invoice_id for pin in pins] == [invoice_id], "pinned once, after the outage"
