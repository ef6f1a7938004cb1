"""Which Xero contact each record was last matched to, remembered by this worker: a hint, never the truth.

A warm view needs two things from the shared cache: the record's match (which contact) and that contact's snapshot
stamp and change-log stamps. Read one after the other they are two Redis round trips. With this hint the panel asks
for the hinted contact's stamps in the same round trip as the match, and uses them only if the match it reads names
the same contact; a wrong or missing hint costs the second round trip, as before (plugin.panel.loader).
"""

from __future__ import annotations

import threading

import cachetools

DEFAULT_RECORDS = 20_000  # about 200 bytes each: a few MB per worker at most


class RecentMatches:
    """Record key -> the contact id it was last matched to, least recently used first out. Thread-safe."""

    def __init__(self, max_records: int = DEFAULT_RECORDS) -> None:
        self._contacts: cachetools.LRUCache = cachetools.LRUCache(maxsize=max_records)
        self._lock = threading.Lock()

    def get(self, record_key: str) -> str | None:
        with self._lock:
            return self._contacts.get(record_key)

    def remember(self, record_key: str, contact_id: str) -> None:
        with self._lock:
            if self._contacts.get(record_key) != contact_id:
                self._contacts[record_key] = contact_id

    def forget(self, record_key: str) -> None:
        with self._lock:
            self._contacts.pop(record_key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._contacts)
