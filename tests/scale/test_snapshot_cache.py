"""The one snapshot cache (plugin.runtime.snapshots), seen from outside: what the panel shows, how many Xero calls it
takes, what a warm render reads from Redis, and what the per-worker tier holds."""

from __future__ import annotations

import pickle
import re
import sys
from collections import Counter
from datetime import date

import pytest
import redis

from plugin import create_app
from plugin.domain.facts import SnapshotFacts
from plugin.runtime.cache import in_process
from plugin.runtime.encoding import SharedCacheSerializer, Typed, encode
from plugin.runtime.invoices import InvoiceSnapshot
from plugin.runtime.snapshots import SnapshotCache, estimated_size, payload_key, stamp_key
from plugin.services import services
from plugin.storage import get_database
from plugin.xero.parse import parse_token_set
from tests.panel.builders import make_invoice, make_payment
from tests.panel.conftest import CONTEXT_SECRET, PanelActions, contact_record
from tests.scale.conftest import REDIS_URL

ROW = re.compile(r'<tr class="invoice[^"]*"[^>]*>.*?</tr>', re.S)
NUMBER = re.compile(r'<a class="invoice__number" [^>]*>(?:<span class="invoice__number-text">)?([^<]+)<')
EXECUTED: list[str] = []


def _record_execution(what: str) -> None:
    EXECUTED.append(what)


class Exploit:
    """Unpickling this runs `_record_execution`: an attacker's pickle could run anything it liked instead."""

    def __reduce__(self):
        return _record_execution, ("unpickled",)


def worker(tmp_path, emulator, clock, *, redis_prefix: str = "", **config):
    """One worker of the app: the shared database file, Redis when `redis_prefix` is given."""
    return create_app({
        "TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite",
        "XERO_EMULATOR_URL": emulator.url, "CONTEXT_SECRET": CONTEXT_SECRET, "SECRET_KEY": "snapshot-tests-secret",
        "CACHE_TTL": 60, "REDIS_URL": REDIS_URL if redis_prefix else "",
        "REDIS_KEY_PREFIX": redis_prefix or "xero-panel:", **config,
    })


def connect(app, emulator, clock) -> str:
    tenant = emulator.state.tenants[0]
    connections = get_database(app).connections
    connections.store_consent("acct-1", parse_token_set(emulator.state.issue_token_set(), clock.now()),
                              connected_by_email="demo@example.com")
    connections.choose_tenant("acct-1", tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate("acct-1")
    return tenant["tenant_id"]


def customers_with_own_email(emulator, tenant_id: str) -> list[dict]:
    customers = emulator.state.customers(tenant_id)
    emails = Counter(customer["email"].lower() for customer in customers if customer["email"])
    return [customer for customer in customers if customer["email"] and emails[customer["email"].lower()] == 1]


def rows_by_number(response) -> dict[str, str]:
    return {NUMBER.search(row).group(1): row for row in ROW.findall(response.get_data(as_text=True))}


def open_invoice(emulator, tenant_id: str, contact_id: str):
    return next(invoice for invoice in emulator.state.orgs[tenant_id].invoices_of(contact_id)
                if invoice.status == "AUTHORISED" and invoice.amount_due > 20)


@pytest.fixture
def two_workers(tmp_path, emulator, clock, redis_prefix):
    first = worker(tmp_path, emulator, clock, redis_prefix=redis_prefix)
    second = worker(tmp_path, emulator, clock, redis_prefix=redis_prefix)
    tenant_id = connect(first, emulator, clock)
    return first, second, tenant_id


# --- Redis mode: two workers, one shared cache ---------------------------------------------------------------


def test_a_snapshot_another_worker_fetched_is_what_this_worker_shows_next(two_workers, emulator, clock):
    first, second, tenant_id = two_workers
    customer = customers_with_own_email(emulator, tenant_id)[0]
    invoice = open_invoice(emulator, tenant_id, customer["contact_id"])
    rep, other_rep = PanelActions(first, clock, emulator), PanelActions(second, clock, emulator)
    rep.open(contact_record(customer))
    before = rows_by_number(rep.get("/panel/invoices", view="unpaid", limit="1000"))
    other_rep.open(contact_record(customer))  # the second worker reads what the first fetched
    emulator.state.reset_call_counts()

    emulator.state.add_payment(invoice.invoice_id, "10.00", reference="paid on the phone")
    clock.advance(1)
    # The second worker fetches again (Refresh); the first worker's next render shows what it fetched.
    refreshed = rows_by_number(other_rep.post("/panel/refresh", view="unpaid", limit="1000"))
    assert emulator.state.api_calls() == 1
    after = rows_by_number(rep.get("/panel/invoices", view="unpaid", limit="1000"))

    assert emulator.state.api_calls() == 1, "the first worker read the new snapshot from the shared cache"
    number = invoice.number
    assert after[number] != before[number] and after[number] == refreshed[number]
    assert after == refreshed


class CountingRedis:
    """Every round trip this process's Redis clients make (a pipeline is one), as sent, and the bytes read back."""

    def __init__(self, monkeypatch) -> None:
        self.sent: list[bytes] = []
        self.bytes_read = 0
        self.counting = True
        send, read = redis.connection.Connection.send_packed_command, redis.connection.Connection.read_response

        def counted_send(connection, command, check_health=True):
            if self.counting:
                self.sent.append(command if isinstance(command, bytes | bytearray) else b"".join(command))
            return send(connection, command, check_health)

        def counted_read(connection, *args, **options):
            response = read(connection, *args, **options)
            self.bytes_read += _bytes_in(response) if self.counting else 0
            return response

        monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted_send)
        monkeypatch.setattr(redis.connection.Connection, "read_response", counted_read)

    def stop(self) -> tuple[list[bytes], int]:
        """What was counted so far; nothing after."""
        counted, self.sent = self.sent, []
        self.counting = False
        return counted, self.bytes_read


def _names(trips: list[bytes], key: str) -> bool:
    return any(f"${len(key)}\r\n{key}\r\n".encode() in trip for trip in trips)


def _bytes_in(result) -> int:
    if isinstance(result, bytes | bytearray):
        return len(result)
    if isinstance(result, list | tuple):
        return sum(_bytes_in(item) for item in result)
    return 0


def test_a_warm_render_is_one_redis_round_trip_that_reads_the_stamp_not_the_snapshot(
        two_workers, emulator, clock, redis_prefix, redis_client, monkeypatch):
    first, _, tenant_id = two_workers
    customer = customers_with_own_email(emulator, tenant_id)[0]
    rep = PanelActions(first, clock, emulator)
    rep.open(contact_record(customer))
    cold = rows_by_number(rep.get("/panel/invoices", view="open"))
    emulator.state.reset_call_counts()
    counting = CountingRedis(monkeypatch)

    for view in ("open", "unpaid", "paid", "open"):
        warm = rep.get("/panel/invoices", view=view)
    trips, bytes_read = counting.stop()
    print(f"\nper warm render: {len(trips) / 4:.1f} round trips, {bytes_read / 4:.0f} bytes read")

    assert rows_by_number(warm) == cold and emulator.state.api_calls() == 0
    payload = redis_client.get(redis_prefix + payload_key(tenant_id, customer["contact_id"]))
    assert _names(trips, redis_prefix + stamp_key(tenant_id, customer["contact_id"]))
    assert not _names(trips, redis_prefix + payload_key(tenant_id, customer["contact_id"]))
    assert bytes_read / 4 < 512 < len(payload)
    # The rep's last view, the record's match and its contact's stamps in one MGET, the view written beside it.
    assert len(trips) == 4




def test_a_record_linked_elsewhere_shows_its_new_customer_though_this_worker_hinted_the_old_one(
        two_workers, emulator, clock, monkeypatch):
    """The stamps read ahead with the match belong to the contact this worker last matched the record to; once
    another worker links the record to someone else, they are not used, and the next view is one round trip again."""
    first, second, tenant_id = two_workers
    matched, other = customers_with_own_email(emulator, tenant_id)[:2]
    rep, admin_rep = PanelActions(first, clock, emulator), PanelActions(second, clock, emulator)
    rep.open(contact_record(matched))
    shown_before = rows_by_number(rep.get("/panel/invoices", view="unpaid", limit="1000"))
    admin_rep.open(contact_record(matched))
    admin_rep.post("/panel/link", contact_id=other["contact_id"])
    expected = rows_by_number(admin_rep.get("/panel/invoices", view="unpaid", limit="1000"))
    assert expected != shown_before

    assert rows_by_number(rep.get("/panel/invoices", view="unpaid", limit="1000")) == expected
    counting = CountingRedis(monkeypatch)
    assert rows_by_number(rep.get("/panel/invoices", view="unpaid", limit="1000")) == expected
    assert len(counting.stop()[0]) == 1

def test_a_pickle_written_to_redis_is_never_run_and_the_invoices_are_fetched_again(two_workers, emulator, clock,
                                                                                  redis_prefix, redis_client):
    first, second, tenant_id = two_workers
    customer = customers_with_own_email(emulator, tenant_id)[0]
    rep = PanelActions(first, clock, emulator)
    rep.open(contact_record(customer))
    shown = rows_by_number(rep.get("/panel/invoices", view="open"))
    # An attacker with write access to Redis replaces what the panel reads with pickles (cachelib's format) and
    # gives the snapshot a new stamp, so every worker reads the payload.
    exploit = b"!" + pickle.dumps(Exploit())
    contact_id = customer["contact_id"]
    redis_client.set(redis_prefix + payload_key(tenant_id, contact_id), exploit)
    redis_client.set(redis_prefix + stamp_key(tenant_id, contact_id), SharedCacheSerializer().dumps("forged"))
    for key in redis_client.scan_iter(match=f"{redis_prefix}match:*"):
        redis_client.set(key, exploit)
    for key in redis_client.scan_iter(match=f"{redis_prefix}customer-directory:*"):
        redis_client.set(key, exploit)
    EXECUTED.clear()
    emulator.state.reset_call_counts()

    for worker_app in (first, second):
        other = PanelActions(worker_app, clock, emulator)
        other.open(contact_record(customer))
        assert rows_by_number(other.get("/panel/invoices", view="open")) == shown

    assert EXECUTED == [], "nothing read from Redis was unpickled"
    assert emulator.state.api_calls() == 2  # the directory and the invoices, fetched again once for both workers
    assert redis_client.get(redis_prefix + payload_key(tenant_id, contact_id)) != exploit


# --- The per-worker tier -------------------------------------------------------------------------------------


def test_the_per_worker_cache_keeps_within_its_byte_bound(tmp_path, emulator, clock):
    bound = 40_000
    app = worker(tmp_path, emulator, clock, SNAPSHOT_CACHE_BYTES=bound)
    tenant_id = connect(app, emulator, clock)
    customers = customers_with_own_email(emulator, tenant_id)[:6]
    first_shown = {}
    for customer in customers:
        rep = PanelActions(app, clock, emulator)
        rep.open(contact_record(customer))
        first_shown[customer["contact_id"]] = rows_by_number(rep.get("/panel/invoices", view="paid"))
    stats = services(app).snapshots.stats()
    print(f"\nper-worker snapshot cache: peak {stats['peak_bytes']} bytes of {bound}, {stats['entries']} entries")
    assert 0 < stats["peak_bytes"] <= bound
    assert stats["entries"] < len(customers), "older snapshots made room"

    emulator.state.reset_call_counts()
    for customer in customers:  # evicted here, still shared: shown again without asking Xero
        rep = PanelActions(app, clock, emulator)
        rep.open(contact_record(customer))
        assert rows_by_number(rep.get("/panel/invoices", view="paid")) == first_shown[customer["contact_id"]]
    assert emulator.state.api_calls() == 0
    assert services(app).snapshots.stats()["peak_bytes"] <= bound


def test_a_snapshot_larger_than_the_whole_bound_is_still_shown(tmp_path, emulator, clock):
    app = worker(tmp_path, emulator, clock, SNAPSHOT_CACHE_BYTES=1)
    tenant_id = connect(app, emulator, clock)
    customer = customers_with_own_email(emulator, tenant_id)[0]
    rep = PanelActions(app, clock, emulator)
    rep.open(contact_record(customer))
    emulator.state.reset_call_counts()
    assert rows_by_number(rep.get("/panel/invoices", view="open"))
    assert emulator.state.api_calls() == 0
    assert services(app).snapshots.stats()["entries"] == 0


def _deep_size(value, seen: set[int]) -> int:
    """Bytes held by `value` and everything it refers to (shared enum members and classes aside)."""
    if id(value) in seen or isinstance(value, type) or value is None or isinstance(value, bool):
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, str | bytes | int | float):
        return size
    if isinstance(value, dict):
        return size + sum(_deep_size(key, seen) + _deep_size(item, seen) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return size + sum(_deep_size(item, seen) for item in value)
    for cls in type(value).__mro__:
        for name in getattr(cls, "__slots__", ()):
            size += _deep_size(getattr(value, name, None), seen)
    if hasattr(value, "__dict__"):
        size += _deep_size(vars(value), seen)
    return size


@pytest.mark.parametrize("count", [5, 25, 100, 1000])
def test_the_size_estimate_is_close_to_what_a_decoded_snapshot_holds(count):
    invoices = tuple(
        make_invoice(number=f"INV-{n:05}", paid="40.00" if n % 2 else "0", due_date=f"2026-0{1 + n % 6}-15",
                     payments=(make_payment("40.00", "2026-02-10", reference="first"),) if n % 2 else ())
        for n in range(count))
    payload = encode(InvoiceSnapshot("t1", "c1", invoices, make_invoice().updated_at))
    decoded = Typed(InvoiceSnapshot).decode(payload)
    facts = SnapshotFacts(decoded.invoices)
    day = facts.on(date(2026, 3, 1))
    for invoice in facts.listed:
        day.status(invoice), day.instalments(invoice)
    held = _deep_size((decoded, facts), set())
    estimate = estimated_size(len(payload))
    print(f"\n{count} invoices: {len(payload)} bytes encoded, {held} held, estimate {estimate}")
    assert 0.67 <= estimate / held <= 1.5


def test_every_worker_follows_the_shared_stamp_refetched_or_dropped():
    shared = in_process()  # one shared cache, two workers' own tiers
    first, second = SnapshotCache(shared), SnapshotCache(shared)
    fetched = first.put(InvoiceSnapshot("t1", "c1", (make_invoice(number="INV-1"),), make_invoice().updated_at))
    seen = second.get("t1", "c1")
    assert [invoice.invoice_number for invoice in seen.invoices] == ["INV-1"] and second.get("t1", "c1") is seen
    # Fetched again at the very same instant (a frozen clock): the stamp still tells the fetches apart.
    first.put(InvoiceSnapshot("t1", "c1", (make_invoice(number="INV-2"),), fetched.fetched_at))
    assert [invoice.invoice_number for invoice in second.get("t1", "c1").invoices] == ["INV-2"]
    first.drop("t1", "c1")
    assert second.get("t1", "c1") is None and second.stats()["entries"] == 0


def test_the_redis_cache_reads_then_sets_in_one_pipeline(redis_prefix):
    """The panel reads the stored view and match and writes the view a request named in one round trip."""
    from flask import Flask

    from plugin.runtime import cache as shared_cache

    app = Flask("pipeline")
    cache = shared_cache.build(app, redis_url=REDIS_URL, prefix=redis_prefix)
    with app.app_context():
        cache.set("view", "open", timeout=0)
        assert shared_cache.get_many_then_set(cache, ["view", "match"], "view", "paid", timeout=0) == ["open", None]
        assert cache.get("view") == "paid"
