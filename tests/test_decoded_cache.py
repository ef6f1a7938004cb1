"""Large cached values are decoded once per worker, and a changed entry is still read as it now is."""

from __future__ import annotations

from datetime import UTC, datetime

from cachelib import SimpleCache

from plugin.runtime.decoded_cache import DecodedValues, RememberingRedisSerializer, memoise_decoding
from plugin.runtime.invoices import InvoiceSnapshot
from tests.panel.builders import make_invoice


def _snapshot(count: int, fetched_at: datetime = datetime(2026, 3, 1, tzinfo=UTC)) -> InvoiceSnapshot:
    return InvoiceSnapshot("t1", "c1", tuple(make_invoice(number=f"INV-{n:04}") for n in range(count)), fetched_at)


def test_a_large_snapshot_read_twice_is_decoded_once():
    backend = SimpleCache()
    memoise_decoding(backend)
    backend.set("k", _snapshot(50))
    assert backend.get("k") is backend.get("k")


def test_a_replaced_or_deleted_entry_is_read_as_it_now_is():
    backend = SimpleCache()
    memoise_decoding(backend)
    backend.set("k", _snapshot(50))
    first = backend.get("k")
    newer = _snapshot(50, datetime(2026, 3, 1, 0, 1, tzinfo=UTC))
    backend.set("k", newer)
    assert backend.get("k") == newer and backend.get("k") is not first
    backend.delete("k")
    assert backend.get("k") is None


def test_mutable_values_are_never_shared_between_readers():
    backend = SimpleCache()
    memoise_decoding(backend)
    backend.set("k", {"rows": list(range(2000))})
    backend.get("k")["rows"].clear()
    assert len(backend.get("k")["rows"]) == 2000


def test_the_redis_format_is_unchanged_and_integers_stay_counters():
    serializer = RememberingRedisSerializer(DecodedValues(max_entries=1))
    snapshot = _snapshot(50)
    payload = serializer.dumps(snapshot)
    assert payload.startswith(b"!") and serializer.loads(payload) == snapshot
    assert serializer.loads(serializer.dumps(41)) == 41 and serializer.loads(None) is None


def test_only_the_most_recent_payloads_are_kept():
    decoded = DecodedValues(max_entries=2)
    for name in ("a", "b", "c"):
        decoded.put(name.encode() * 3000, _snapshot(1))
    assert len(decoded._values) == 2 and b"a" * 3000 not in decoded._values
