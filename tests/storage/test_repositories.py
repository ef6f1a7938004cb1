from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plugin.domain.models import TokenSet
from plugin.storage import NoConnection, RecordKey
from plugin.storage.models import Installation, Pin

JANE = RecordKey("contact", "42")
ACME = RecordKey("account", "7")


def token_set(clock, n: int = 1) -> TokenSet:
    return TokenSet(f"access-{n}", f"refresh-{n}", clock.now() + timedelta(minutes=30), ("openid", "offline_access"))


def test_pinning_is_idempotent_and_listed_per_record(store):
    assert store.pins.pin("A", JANE, "t1", "inv-1", pinned_by="u1") is True
    assert store.pins.pin("A", JANE, "t1", "inv-1") is False
    store.pins.set_pinned("A", JANE, "t1", "inv-2", True)
    store.pins.set_pinned("A", JANE, "t1", "inv-2", True)

    assert [p.invoice_id for p in store.pins.for_record("A", JANE)] == ["inv-1", "inv-2"]
    assert store.pins.for_record("A", JANE)[0].pinned_by == "u1"
    assert store.pins.for_record("A", ACME) == []
    assert store.pins.for_record("A", JANE, tenant_id="other-org") == []


def test_toggle_flips_and_unpin_twice_is_harmless(store):
    assert store.pins.toggle("A", JANE, "t1", "inv-1") is True
    assert store.pins.is_pinned("A", JANE, "t1", "inv-1")
    assert store.pins.toggle("A", JANE, "t1", "inv-1") is False
    assert store.pins.unpin("A", JANE, "t1", "inv-1") is False
    assert store.pins.for_record("A", JANE) == []


def test_concurrent_pins_of_one_invoice_make_exactly_one_row(store):
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda _: store.pins.pin("A", JANE, "t1", "inv-1"), range(16)))

    assert created.count(True) == 1
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Pin)) == 1


def test_concurrent_first_requests_of_an_account_make_one_installation(store):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: store.pins.pin("new-account", JANE, "t1", f"inv-{i}"), range(16)))

    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 1
    assert len(store.pins.for_record("new-account", JANE)) == 16


def test_contact_links_get_set_clear(store):
    assert store.contact_links.get("A", JANE, "t1") is None
    store.contact_links.set("A", JANE, "t1", "c-1", contact_name="Jane Ltd", linked_by="u1")
    store.contact_links.set("A", JANE, "t1", "c-2", contact_name="Jane Doe")

    link = store.contact_links.get("A", JANE, "t1")
    assert (link.contact_id, link.contact_name) == ("c-2", "Jane Doe")
    assert store.contact_links.get("A", JANE, "other-org") is None
    assert store.contact_links.clear("A", JANE, "t1") is True
    assert store.contact_links.get("A", JANE, "t1") is None


def test_installation_settings_are_kept_per_account(store):
    store.installations.update_settings("A", match_contacts_by="email")
    store.installations.update_settings("A", show_paid=True)

    assert store.installations.get("A").settings == {"match_contacts_by": "email", "show_paid": True}
    assert store.installations.get("B") is None
    assert store.installations.get_or_create("B").settings == {}


class TestOneAccountCannotReachAnother:
    """Account B uses the same record ids and tenant as A; every read and write must stay inside B."""

    @pytest.fixture(autouse=True)
    def account_a_data(self, store, clock):
        store.pins.pin("A", JANE, "t1", "inv-1")
        store.contact_links.set("A", JANE, "t1", "c-1")
        store.connections.store_consent("A", token_set(clock), connected_by_email="admin@a.test")
        store.connections.choose_tenant("A", "t1", tenant_name="A Ltd")
        store.connections.activate("A")

    def test_reads_see_nothing_of_a(self, store):
        assert store.pins.for_record("B", JANE) == []
        assert not store.pins.is_pinned("B", JANE, "t1", "inv-1")
        assert store.contact_links.get("B", JANE, "t1") is None
        assert store.connections.get("B") is None
        assert store.connections.active_for("B") is None
        assert store.connections.tokens("B") is None

    def test_writes_cannot_touch_a(self, store):
        assert store.pins.unpin("B", JANE, "t1", "inv-1") is False
        assert store.pins.toggle("B", JANE, "t1", "inv-1") is True  # B's own pin, beside A's
        assert store.contact_links.clear("B", JANE, "t1") is False
        assert store.connections.remove("B") is False
        with pytest.raises(NoConnection):
            store.connections.activate("B")

        assert store.pins.is_pinned("A", JANE, "t1", "inv-1")
        assert len(store.pins.for_record("A", JANE)) == 1
        assert store.contact_links.get("A", JANE, "t1").contact_id == "c-1"
        assert store.connections.active_for("A").tenant_name == "A Ltd"

    def test_the_refresh_lock_of_b_sees_no_row_of_a(self, store):
        with store.connections.locked("B") as row:
            assert not row.exists
            assert row.tokens is None

    def test_an_empty_account_id_is_refused(self, store):
        with pytest.raises(ValueError, match="account id"):
            store.pins.for_record("", JANE)


def test_connection_lifecycle_pending_active_needs_reconnect_removed(store, clock):
    info = store.connections.store_consent(
        "A", token_set(clock), connected_by_email="admin@a.test", connected_by_name="Ada Admin", auth_event_id="ev-1"
    )
    assert info.status == "pending" and info.connected_by_email == "admin@a.test"
    with pytest.raises(ValueError, match="organisation"):
        store.connections.activate("A")

    store.connections.choose_tenant("A", "t1", tenant_name="A Ltd", connection_id="c-1", short_code="!abc",
                                    base_currency="NZD")
    assert store.connections.active_for("A") is None
    active = store.connections.activate("A")
    assert (active.status, active.short_code, active.base_currency) == ("active", "!abc", "NZD")

    store.connections.mark_needs_reconnect("A", "Xero refused the refresh token")
    broken = store.connections.get("A")
    assert broken.needs_reconnect and broken.last_error == "Xero refused the refresh token"
    assert broken.last_error_at == clock.now()

    reconnected = store.connections.store_consent("A", token_set(clock, 2), connected_by_email="other@a.test")
    assert reconnected.status == "pending" and reconnected.tenant_id == "t1" and reconnected.last_error == ""
    assert store.connections.tokens("A").refresh_token == "refresh-2"

    assert store.connections.remove("A") is True
    assert store.connections.get("A") is None and store.connections.tokens("A") is None


def test_remove_notes_on_the_installation_that_xero_was_removed(store, clock):
    store.installations.get_or_create("never")
    store.connections.store_consent("A", token_set(clock), connected_by_email="admin@a.test")
    store.installations.update_settings("A", view="paid")
    assert not store.installations.get("A").xero_was_removed
    assert store.connections.remove("A") is True
    removed = store.installations.get("A")
    assert removed.xero_was_removed and removed.settings["view"] == "paid"  # other settings are kept
    assert not store.installations.get("never").xero_was_removed
    assert store.connections.remove("never") is False and not store.installations.get("never").xero_was_removed


def test_stored_times_come_back_as_aware_utc(store, clock):
    store.connections.store_consent("A", token_set(clock), connected_by_email="a@a.test")
    info = store.connections.get("A")
    assert info.connected_at == clock.now() and info.connected_at.tzinfo is not None
    assert info.expires_at == clock.now() + timedelta(minutes=30)
