"""The one snapshot cache: a contact's invoices decoded once per worker, checked against a shared stamp.

Two tiers:
- L2, shared (Redis, or this process's Flask-Caching SimpleCache without REDIS_URL): per (tenant, contact)
  the encoded snapshot (MessagePack, plugin.runtime.encoding) and a small stamp saying which fetch it is
  ("<fetched at> <random>"). The payload is written before its stamp, so a reader that sees a stamp and then
  reads the payload gets that fetch or a newer one, never an older one; it keeps what it decoded under the
  stamp it saw, and any later write changes the stamp.
- L1, per worker: (tenant, contact) -> `Snapshot`, the decoded snapshot with its facts (listed order,
  totals, per-day view rows: plugin.domain.facts) worked out once on entry, in a cachetools LRU bounded
  in bytes (setting SNAPSHOT_CACHE_BYTES). A snapshot's decoded size is estimated from its encoded length
  (`DECODED_BYTES_PER_ENCODED_BYTE`, measured; tests/scale/test_snapshot_cache.py holds it).

A warm read fetches the stamp key only (batched with the change-log stamps, one MGET on Redis) and finds
the same stamp in L1: no payload transfer, no decoding, no facts to redo. Another worker's fetch writes a
new stamp, so the next read here decodes the new payload once. A payload that can't be read as a snapshot
(a pickle written by someone with access to Redis, a value from an older release) counts as missing: the
caller fetches from Xero again.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import cachetools

from plugin.domain.facts import SnapshotFacts
from plugin.domain.models import Invoice
from plugin.domain.text import N_, Message, Said
from plugin.runtime.encoding import Typed, encode
from plugin.xero.errors import BadXeroData

KEEP_SECONDS = 24 * 3600  # entries outlive their freshness: freshness is judged from their fetch time
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Decoded snapshot plus its facts (a day's views, statuses and instalments worked out), per byte of MessagePack:
# measured 2.9 (the emulator's 262-invoice customer) to 4.7 (tests/panel/builders.py invoices); a test keeps the
# estimate within a factor of 1.5 of the measured size.
DECODED_BYTES_PER_ENCODED_BYTE = 3.8
ENTRY_OVERHEAD_BYTES = 2048  # the entry, its key, the facts' containers: what a snapshot of nothing costs
MAX_SHOWN_TEXT = 40  # of an invoice number or bad value from Xero, quoted back to the rep


@dataclass(frozen=True, slots=True)
class UnreadableInvoice:
    """An invoice Xero sent that could not be read, so it is left out: its number (empty when that is unreadable
    too) and why, in plain words the panel translates (e.g. "unknown currency 'XYZ'"; a Said, as it is cached)."""

    number: str
    reason: Said

    @property
    def reason_words(self) -> Message:
        return self.reason.message

    @classmethod
    def of(cls, raw: Mapping[str, Any], error: BadXeroData) -> UnreadableInvoice:
        number = raw.get("InvoiceNumber") if isinstance(raw, Mapping) else None
        return cls(shortened(number) if isinstance(number, str) else "", _plain_reason(error))


def _plain_reason(error: BadXeroData) -> Said:
    # The field names stay as Xero spells them (for whoever fixes the data in Xero); the words around them are
    # translated.
    if error.field == "CurrencyCode":
        if error.value:
            return Said.of(N_("unknown currency '%(code)s'", code=shortened(str(error.value))))
        return Said.of(N_("no currency"))
    if error.reason == "missing":
        return Said.of(N_("no %(field)s", field=error.field))
    return Said.of(N_("unreadable %(field)s", field=error.field))


def shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN_TEXT else text[: MAX_SHOWN_TEXT - 1] + "…"


@dataclass(frozen=True, slots=True)
class InvoiceSnapshot:
    """A contact's invoices as Xero returned them at `fetched_at`, and the ones it sent that could not be read
    (kept here so a cache hit says they are missing just as the fetch did)."""

    tenant_id: str
    contact_id: str
    invoices: tuple[Invoice, ...]
    fetched_at: datetime
    unreadable: tuple[UnreadableInvoice, ...] = ()

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.fetched_at).total_seconds())


@dataclass(frozen=True, slots=True, eq=False)
class Snapshot:
    """What the cache hands out: the snapshot, its facts (worked out once, on entry) and which fetch it is.
    Shared by every request of this worker that reads the same fetch, so nothing in it may change."""

    data: InvoiceSnapshot
    stamp: str
    size: int  # estimated bytes in memory, for the L1 bound
    facts: SnapshotFacts = field(repr=False)

    @property
    def tenant_id(self) -> str:
        return self.data.tenant_id

    @property
    def contact_id(self) -> str:
        return self.data.contact_id

    @property
    def invoices(self) -> tuple[Invoice, ...]:
        return self.data.invoices

    @property
    def fetched_at(self) -> datetime:
        return self.data.fetched_at

    @property
    def unreadable(self) -> tuple[UnreadableInvoice, ...]:
        return self.data.unreadable

    def age_seconds(self, now: datetime) -> float:
        return self.data.age_seconds(now)


_PAYLOAD: Typed[InvoiceSnapshot] = Typed(InvoiceSnapshot)


def payload_key(tenant_id: str, contact_id: str) -> str:
    return f"snapshot:{tenant_id}:{contact_id}"


def stamp_key(tenant_id: str, contact_id: str) -> str:
    return f"snapshot-stamp:{tenant_id}:{contact_id}"


def read_keys(tenant_id: str, contact_id: str, also: Sequence[str] = ()) -> tuple[str, ...]:
    """The shared keys `SnapshotCache.read` reads, in order: the contact's stamp, then `also`."""
    return (stamp_key(tenant_id, contact_id), *also)


def estimated_size(encoded_length: int) -> int:
    return ENTRY_OVERHEAD_BYTES + int(encoded_length * DECODED_BYTES_PER_ENCODED_BYTE)


class SnapshotCache:
    """Invoice snapshots in the shared cache `shared` (Flask-Caching), decoded once per worker (thread-safe)."""

    def __init__(self, shared: Any, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.shared = shared
        self.max_bytes = max_bytes
        self._local: cachetools.LRUCache = cachetools.LRUCache(maxsize=max_bytes,
                                                               getsizeof=lambda entry: entry.size)
        self._lock = threading.Lock()
        self.peak_bytes = 0  # the most the L1 has held at once
        self.decoded = 0  # snapshots this worker decoded (or built) and entered into L1

    def get(self, tenant_id: str, contact_id: str) -> Snapshot | None:
        return self.read(tenant_id, contact_id)[0]

    def read(self, tenant_id: str, contact_id: str, also: Sequence[str] = (),
             read_ahead: Sequence[Any] | None = None) -> tuple[Snapshot | None, list[Any]]:
        """The snapshot the shared cache holds now, however old (None when there is none), and the values of the
        shared keys `also`, read in the same round trip as the stamp. `read_ahead`: the values of
        `read_keys(tenant_id, contact_id, also)` as a caller already read them (with keys of its own), so this
        round trip is saved."""
        if read_ahead is not None and len(read_ahead) == 1 + len(also):
            values = read_ahead
        else:
            values = self.shared.get_many(*read_keys(tenant_id, contact_id, also))
        stamp, others = values[0], list(values[1:])
        key = (tenant_id, contact_id)
        with self._lock:
            entry = self._local.get(key)
            if entry is not None and entry.stamp != stamp:  # dropped or fetched again since
                self._local.pop(key, None)
        if not isinstance(stamp, str):
            return None, others
        if entry is not None and entry.stamp == stamp:
            return entry, others
        payload = self.shared.get(payload_key(tenant_id, contact_id))
        snapshot = _PAYLOAD.decode(payload)
        if snapshot is None or (snapshot.tenant_id, snapshot.contact_id) != key:
            return None, others
        return self._enter(snapshot, stamp, len(payload)), others

    def present(self, tenant_id: str, contact_ids: Sequence[str]) -> list[bool]:
        """Whether the shared cache holds a snapshot of each contact (one read of their stamps; nothing decoded)."""
        if not contact_ids:
            return []
        stamps = self.shared.get_many(*(stamp_key(tenant_id, contact) for contact in contact_ids))
        return [isinstance(stamp, str) for stamp in stamps]

    def put(self, snapshot: InvoiceSnapshot) -> Snapshot:
        """Share a freshly fetched snapshot (payload first, then its stamp) and keep it decoded here."""
        stamp = f"{snapshot.fetched_at.timestamp():.6f} {secrets.token_hex(6)}"
        payload = encode(snapshot)
        self.shared.set_many({payload_key(snapshot.tenant_id, snapshot.contact_id): payload,
                              stamp_key(snapshot.tenant_id, snapshot.contact_id): stamp}, timeout=KEEP_SECONDS)
        return self._enter(snapshot, stamp, len(payload))

    def drop(self, tenant_id: str, contact_id: str) -> None:
        """Forget the contact's snapshot everywhere (other workers see the stamp gone on their next read)."""
        self.shared.delete_many(stamp_key(tenant_id, contact_id), payload_key(tenant_id, contact_id))
        with self._lock:
            self._local.pop((tenant_id, contact_id), None)

    def _enter(self, snapshot: InvoiceSnapshot, stamp: str, encoded_length: int) -> Snapshot:
        entry = Snapshot(snapshot, stamp, estimated_size(encoded_length), SnapshotFacts(snapshot.invoices))
        with self._lock:
            self.decoded += 1
            try:
                self._local[(snapshot.tenant_id, snapshot.contact_id)] = entry
            except ValueError:  # larger than the whole bound: served, not kept
                self._local.pop((snapshot.tenant_id, snapshot.contact_id), None)
            self.peak_bytes = max(self.peak_bytes, self._local.currsize)
        return entry

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._local), "bytes": self._local.currsize, "max_bytes": self.max_bytes,
                    "peak_bytes": self.peak_bytes, "decoded": self.decoded}
