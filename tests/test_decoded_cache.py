"""Large cached values are decoded once per worker, and a changed entry is still read as it now is."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from cachelib import SimpleCache

from plugin.runtime.decoded_cache import MIN_BYTES, DecodedValues, RememberingRedisSerializer, memoise_decoding
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


@dataclass(frozen=True, slots=True)
class _OldMoney:
    """Money as it was before it became a msgspec Struct: a frozen slots dataclass."""

    amount: Decimal
    currency: str


def _pickled_as_old_money(value: object) -> bytes:
    """`value` pickled with each _OldMoney in it named as plugin.domain.money.Money, as an older build wrote Money."""
    payload = pickle.dumps(value, protocol=2)  # protocol 2 names classes as text lines
    return payload.replace(f"{__name__}\n_OldMoney\n".encode(), b"plugin.domain.money\nMoney\n")


def test_a_snapshot_pickled_while_money_was_a_dataclass_reads_as_a_miss():
    large = _pickled_as_old_money(tuple(_OldMoney(Decimal(n), "NZD") for n in range(300)))
    small = _pickled_as_old_money(_OldMoney(Decimal("1.00"), "NZD"))
    assert len(small) < MIN_BYTES <= len(large)
    with pytest.raises(pickle.UnpicklingError):  # a Struct cannot be rebuilt the way a dataclass pickles
        pickle.loads(large)
    assert RememberingRedisSerializer().loads(b"!" + large) is None
    assert RememberingRedisSerializer().loads(b"!" + small) is None
    backend = SimpleCache()
    memoise_decoding(backend)
    backend._cache["k"] = (0, large)  # a SimpleCache entry: (expiry, pickled value)
    assert backend.get("k") is None
