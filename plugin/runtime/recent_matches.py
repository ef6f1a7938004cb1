"""Which Xero contact each record was last matched to, remembered by this worker: a hint, never the truth.

A warm view needs two things from the shared cache: the record's match (which contact) and that contact's snapshot
stamp and change-log stamps. Read one after the other they are two Redis round trips. With this hint the panel asks
for the hinted contact's stamps in the same round trip as the match, and uses them only if the match it reads names
the same contact; a wrong or missing hint costs the second round trip, as before (plugin.panel.loader).
"""

from __future__ import annotations

from plugin.runtime.lru import SharedLru

DEFAULT_RECORDS = 20_000  # about 200 bytes each: a few MB per worker at most


class RecentMatches(SharedLru[str, str]):
    """Record key -> the contact id it was last matched to (`put`, `get`, `pop`), least recently used first out."""

    def __init__(self, max_records: int = DEFAULT_RECORDS) -> None:
        super().__init__(max_records)
