from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import inspect, text

from plugin import create_app
from plugin.cli import main
from plugin.storage import RecordKey, get_database, migrate

PIN_ROWS = [("contact", "42", "t1", "inv-1"), ("deal", "9", "t1", "inv-2")]


def test_fresh_database_is_at_head_with_every_table(store):
    assert migrate.current(store.engine) == migrate.head()
    tables = set(inspect(store.engine).get_table_names())
    assert {"installations", "xero_connections", "pins", "contact_links"} <= tables


def test_upgrading_an_existing_database_keeps_its_pins_and_connections(database_url, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": database_url, "DATABASE_AUTO_UPGRADE": False})
    store = get_database(app)
    migrate.upgrade(store.engine, "0001")
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO installations (id, account_id, created_at) VALUES (1, 'A', :at)"),
                           {"at": "2026-01-01 00:00:00"})
        connection.execute(text("INSERT INTO xero_connections (installation_id, status, tenant_id) "
                                "VALUES (1, 'active', 't1')"))
        for record_type, record_id, tenant_id, invoice_id in PIN_ROWS:
            connection.execute(
                text("INSERT INTO pins (installation_id, record_type, record_id, tenant_id, invoice_id, created_at) "
                     "VALUES (1, :rt, :rid, :tid, :iid, :at)"),
                {"rt": record_type, "rid": record_id, "tid": tenant_id, "iid": invoice_id, "at": "2026-01-01 00:00:00"},
            )

    migrate.upgrade(store.engine)  # 0002 rebuilds `pins` (batch copy on SQLite)

    assert migrate.current(store.engine) == migrate.head()
    assert [p.invoice_id for p in store.pins.for_record("A", RecordKey("contact", "42"))] == ["inv-1"]
    assert [p.invoice_id for p in store.pins.for_record("A", RecordKey("deal", "9"))] == ["inv-2"]
    assert store.connections.get("A").tenant_id == "t1"
    assert store.pins.pin("A", RecordKey("contact", "42"), "t1", "inv-1") is False  # unique constraint survived
    store.dispose()


def test_upgrade_twice_changes_nothing(store):
    store.pins.pin("A", RecordKey("contact", "1"), "t1", "inv-1")
    migrate.upgrade(store.engine)
    assert len(store.pins.for_record("A", RecordKey("contact", "1"))) == 1


def test_db_command_upgrades_and_reports(tmp_path, monkeypatch):
    monkeypatch.setenv("XERO_PANEL_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite")
    runner = CliRunner()
    assert "schema empty" in runner.invoke(main, ["db", "current"]).output
    assert f"-> {migrate.head()}" in runner.invoke(main, ["db", "upgrade"]).output
    assert "up to date" in runner.invoke(main, ["db", "current"]).output
