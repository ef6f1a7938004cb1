"""Where the panel's data comes from: a contact's invoices, the organisation and its customer directory.

Invoices are cached per (tenant, contact) with the time they were fetched. Everything a rep does in
the panel (switch view, search, filter, pin, Show more) reads the cache; only a cold or expired entry,
or Refresh, calls Xero. `InvoiceStore.load_invoices(tenant_id, contact_id, force=False)` is the one
place that fetches, so a rate budget, request coalescing or stale-while-revalidate can wrap it later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from plugin.domain.clock import Clock
from plugin.domain.matching import CustomerDirectory
from plugin.domain.models import Contact, Invoice, Organisation
from plugin.runtime.changes import ChangeLog
from plugin.runtime.single_flight import SingleFlight
from plugin.xero.errors import BadXeroData, XeroError

log = logging.getLogger(__name__)

INVOICE_PAGE_SIZE = 1000  # Xero's largest page: one call covers almost every customer
ORGANISATION_TTL = 24 * 3600
MATCH_TTL = 3600  # a found contact rarely changes; a miss is retried after the invoice TTL
DIRECTORY_TTL = 15 * 60  # the organisation's customer list, shared by every rep; CONTACT webhooks drop it sooner
DIRECTORY_PAGE_SIZE = 1000  # Xero's largest page
DIRECTORY_MAX_PAGES = 5  # beyond this the organisation is matched per record with searchTerm instead


class XeroReader(Protocol):
    """The part of plugin.xero.client.XeroClient the panel reads with."""

    def organisation(self) -> Organisation: ...

    def contacts(self, *, search_term: str | None = None, where: str | None = None, page_size: int = 100,
                 summary_only: bool = False) -> Iterable[Contact]: ...

    def contact(self, contact_id: str) -> Contact: ...

    def invoices(self, *, contact_ids: Sequence[str] = (), page_size: int = 100,
                 on_unreadable: Callable[[Mapping[str, Any], BadXeroData], None] | None = None,
                 ) -> Iterable[Invoice]: ...


class CacheBackend(Protocol):
    """The part of Flask-Caching's `cache` used here."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool: ...

    def delete(self, key: str) -> bool: ...


MAX_SHOWN_TEXT = 40  # of an invoice number or bad value from Xero, quoted back to the rep


@dataclass(frozen=True, slots=True)
class UnreadableInvoice:
    """An invoice Xero sent that could not be read, so it is left out: its number (empty when that is unreadable
    too) and why, in plain words (e.g. "unknown currency 'XYZ'")."""

    number: str
    reason: str

    @classmethod
    def of(cls, raw: Mapping[str, Any], error: BadXeroData) -> UnreadableInvoice:
        number = raw.get("InvoiceNumber") if isinstance(raw, Mapping) else None
        return cls(_shortened(number) if isinstance(number, str) else "", _plain_reason(error))


def _plain_reason(error: BadXeroData) -> str:
    if error.field == "CurrencyCode":
        return f"unknown currency '{_shortened(str(error.value))}'" if error.value else "no currency"
    if error.reason == "missing":
        return f"no {error.field}"
    return f"unreadable {error.field}"


def _shortened(text: str) -> str:
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

    def __setstate__(self, state: Sequence[Any]) -> None:
        # A snapshot cached (in Redis, for up to a day) before `unreadable` existed unpickles with fewer values.
        defaults = [item.default for item in fields(self)][len(state):]
        for item, value in zip(fields(self), [*state, *defaults], strict=True):
            object.__setattr__(self, item.name, value)


def _raw_id(raw: Mapping[str, Any]) -> str:
    invoice_id = raw.get("InvoiceID") if isinstance(raw, Mapping) else None
    return invoice_id[:MAX_SHOWN_TEXT] if isinstance(invoice_id, str) else "no InvoiceID"


def invoices_key(tenant_id: str, contact_id: str) -> str:
    return f"invoices:{tenant_id}:{contact_id}"


class InvoiceStore:
    """Invoices and organisation details per tenant, from the cache or from Xero.

    `client` is called only when Xero must be asked, so a warm panel never builds a client
    (which could mean a token refresh) at all.
    """

    def __init__(self, *, cache: CacheBackend, clock: Clock, client: Callable[[], XeroReader], ttl: float = 60) -> None:
        self._cache = cache
        self._clock = clock
        self._client = client
        self.ttl = ttl

    def peek(self, tenant_id: str, contact_id: str) -> InvoiceSnapshot | None:
        """Whatever is cached, however old; never calls Xero."""
        return self._cache.get(invoices_key(tenant_id, contact_id))

    def is_fresh(self, snapshot: InvoiceSnapshot) -> bool:
        return snapshot.age_seconds(self._clock.now()) < self.ttl

    def load_invoices(self, tenant_id: str, contact_id: str, force: bool = False) -> InvoiceSnapshot:
        """Fresh cached invoices, or every page from Xero (then cached). Raises XeroError subclasses."""
        if not force:
            cached = self.peek(tenant_id, contact_id)
            if cached is not None and self.is_fresh(cached):
                return cached
        unreadable: list[UnreadableInvoice] = []

        def leave_out(raw: Mapping[str, Any], error: BadXeroData) -> None:
            # The rep sees the number and plain reason; the log keeps the field and value for whoever fixes it.
            unreadable.append(UnreadableInvoice.of(raw, error))
            log.warning("invoices of tenant %s, contact %s: left out invoice %s (%s): %s: %s", tenant_id, contact_id,
                        unreadable[-1].number or "without a number", _raw_id(raw), type(error).__name__, error)

        invoices = tuple(self._client().invoices(contact_ids=(contact_id,), page_size=INVOICE_PAGE_SIZE,
                                                 on_unreadable=leave_out))
        snapshot = InvoiceSnapshot(tenant_id, contact_id, invoices, self._clock.now(), tuple(unreadable))
        self._cache.set(invoices_key(tenant_id, contact_id), snapshot)
        return snapshot

    def drop(self, tenant_id: str, contact_id: str) -> None:
        self._cache.delete(invoices_key(tenant_id, contact_id))

    def organisation(self, tenant_id: str) -> Organisation | None:
        """The organisation (for its ShortCode), cached for a day; None when Xero can't say right now."""
        key = f"organisation:{tenant_id}"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            organisation = self._client().organisation()
        except XeroError:
            return None
        self._cache.set(key, organisation, timeout=ORGANISATION_TTL)
        return organisation


def directory_key(tenant_id: str) -> str:
    return f"customer-directory:{tenant_id}"


def fetch_directory(client: XeroReader, tenant_id: str) -> CustomerDirectory:
    """GET Contacts where IsCustomer==true, summaryOnly, 1000 a page; stops (incomplete) after DIRECTORY_MAX_PAGES."""
    limit = DIRECTORY_PAGE_SIZE * DIRECTORY_MAX_PAGES
    contacts: list[Contact] = []
    for contact in client.contacts(where="IsCustomer==true", page_size=DIRECTORY_PAGE_SIZE, summary_only=True):
        if len(contacts) == limit:
            return CustomerDirectory(tenant_id, complete=False)
        contacts.append(contact)
    return CustomerDirectory.of(tenant_id, contacts)


class CustomerDirectories:
    """Each organisation's directory, fetched once per DIRECTORY_TTL through `cache` (and the flight, so
    many reps opening records at once cause one fetch).

    `cache` is the shared Redis cache with REDIS_URL, and otherwise an in-process store of its own
    (plugin.services): the per-contact entries of a busy worker fill the main in-process cache, whose pruning
    drops the oldest entries first, and a directory written once per 15 minutes is always among the oldest."""

    def __init__(self, cache: CacheBackend, flight: SingleFlight | None = None) -> None:
        self._cache = cache
        self._flight = flight

    def drop(self, tenant_id: str) -> None:
        self._cache.delete(directory_key(tenant_id))

    def peek(self, tenant_id: str) -> CustomerDirectory | None:
        """The cached directory, if any; never calls Xero."""
        return self._cache.get(directory_key(tenant_id))

    def put(self, tenant_id: str, directory: CustomerDirectory) -> None:
        self._cache.set(directory_key(tenant_id), directory, timeout=DIRECTORY_TTL)

    def get(self, tenant_id: str, client: Callable[[], XeroReader]) -> CustomerDirectory:
        key = directory_key(tenant_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached

        def fetch() -> CustomerDirectory:
            directory = fetch_directory(client(), tenant_id)
            self._cache.set(key, directory, timeout=DIRECTORY_TTL)
            return directory

        if self._flight is None:
            return fetch()
        return self._flight.run(f"directory:{tenant_id}", fetch, lambda: self._cache.get(key))


def search_customers(client: XeroReader, text: str, limit: int = 20) -> tuple[Contact, ...]:
    """Xero customers whose name or email contains `text` (Xero's searchTerm), for linking by hand."""
    needle = " ".join(text.split())
    if len(needle) < 2:
        return ()
    found = [contact for contact in client.contacts(search_term=needle) if contact.is_customer]
    return tuple(sorted(found, key=lambda contact: contact.name.casefold())[:limit])


class SharedInvoices:
    """The panel's InvoiceStore (plugin.runtime.invoices) with single-flight fetches, stale-while-revalidate and
    webhook changes. Everything else (peek, organisation, drop, ttl) is the wrapped store's.

    `load_invoices(..., stale_ok=True)` returns data past its TTL at once; the caller sees `is_current(snapshot)`
    False, shows it marked with its age, and asks again with `stale_ok=False` (an htmx request on load).

    `on_lookup(tenant_id, hit=...)` hears every cache lookup (not Refresh, which skips the cache): the panel's
    hit rate in the admin diagnostics (plugin.runtime.lookups.record_cache_lookup).
    """

    def __init__(self, store, *, flight: SingleFlight, clock: Clock, changes: ChangeLog | None = None,
                 on_lookup: Callable[..., None] | None = None) -> None:
        self.store = store
        self.flight = flight
        self.clock = clock  # the app's clock, the one snapshots are stamped with
        self.changes = changes  # plugin.webhooks.views.ChangeLog, or None
        self.on_lookup = on_lookup

    def __getattr__(self, name: str):
        return getattr(self.store, name)

    def is_current(self, snapshot) -> bool:
        """Within its TTL and not reported changed by a webhook since it was fetched."""
        if not self.store.is_fresh(snapshot):
            return False
        return self.changes is None or not self.changes.changed_after(
            snapshot.tenant_id, snapshot.contact_id, snapshot.fetched_at)

    def load_invoices(self, tenant_id: str, contact_id: str, force: bool = False, stale_ok: bool = False):
        cached = None if force else self.store.peek(tenant_id, contact_id)
        hit = cached is not None and (stale_ok or self.is_current(cached))
        if not force and self.on_lookup is not None:
            self.on_lookup(tenant_id, hit=hit)
        if hit:
            return cached
        asked_at = self.clock.now() if force else None

        def good_enough():
            found = self.store.peek(tenant_id, contact_id)
            if found is None:
                return None
            if asked_at is not None:  # Refresh wants data fetched after it was clicked
                return found if found.fetched_at > asked_at else None
            return found if self.is_current(found) else None

        return self.flight.run(f"invoices:{tenant_id}:{contact_id}", lambda: self._fetch(tenant_id, contact_id),
                               good_enough)

    def _fetch(self, tenant_id: str, contact_id: str):
        snapshot = self.store.load_invoices(tenant_id, contact_id, force=True)
        if self.changes is not None:
            self.changes.remember_invoices(tenant_id, contact_id, (invoice.invoice_id for invoice in snapshot.invoices))
        return snapshot
