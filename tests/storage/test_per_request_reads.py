"""The panel's per-request reads: the connection row reused briefly within a worker, pins in one query."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from plugin.domain.models import TokenSet
from plugin.storage import RecordKey
from plugin.storage.repositories import RECENT_CONNECTION_SECONDS

JANE = RecordKey("contact", "42")


def _connected(store, clock) -> None:
    tokens = TokenSet("access", "refresh", clock.now() + timedelta(minutes=30), ("openid",))
    store.connections.store_consent("A", tokens, connected_by_email="admin@a.test")
    store.connections.choose_tenant("A", "t1", tenant_name="A Ltd", short_code="!abc", base_currency="NZD")
    store.connections.activate("A")


def test_a_recent_connection_read_is_reused_until_this_worker_writes(store, clock):
    _connected(store, clock)
    first = store.connections.recent("A")
    assert store.connections.recent("A") is first
    store.connections.mark_needs_reconnect("A", "refused")
    assert store.connections.recent("A").needs_reconnect


def test_a_change_made_by_another_worker_shows_within_the_reuse_time(store, clock):
    _connected(store, clock)
    assert store.connections.recent("A").is_active
    with store.engine.begin() as connection:  # another process: this worker's write counter doesn't move
        connection.execute(text("UPDATE xero_connections SET status = 'needs_reconnect'"))
    assert store.connections.recent("A").is_active
    clock.advance(RECENT_CONNECTION_SECONDS)
    assert store.connections.recent("A").needs_reconnect


def test_pinned_invoice_ids_are_the_records_own_in_this_account_and_organisation(store):
    store.pins.set_pinned("A", JANE, "t1", "inv-1", True)
    store.pins.set_pinned("A", JANE, "t1", "inv-2", True)
    store.pins.set_pinned("A", JANE, "t2", "inv-3", True)
    store.pins.set_pinned("A", RecordKey("account", "7"), "t1", "inv-4", True)
    store.pins.set_pinned("B", JANE, "t1", "inv-5", True)
    assert store.pins.invoice_ids("A", JANE, "t1") == {"inv-1", "inv-2"}
    assert store.pins.invoice_ids("C", JANE, "t1") == set()


def test_a_pin_made_after_a_read_shows_in_the_next_read(store):
    """The read runs on the driver's cursor (Database.first_column): its connection goes back to the pool with nothing
    left open, so the next read sees what was written since."""
    store.pins.set_pinned("A", JANE, "t1", "inv-1", True)
    assert store.pins.invoice_ids("A", JANE, "t1") == {"inv-1"}
    store.pins.set_pinned("A", JANE, "t1", "inv-2", True)
    store.pins.set_pinned("A", JANE, "t1", "inv-1", False)
    assert store.pins.invoice_ids("A", JANE, "t1") == {"inv-2"}
