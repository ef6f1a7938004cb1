"""Where the panel's data comes from: which Xero contact a CRM record is, and that contact's invoices.

Invoices are cached per (tenant, contact) with the time they were fetched. Everything a rep does in
the panel (switch view, search, filter, pin, Show more) reads the cache; only a cold or expired entry,
or Refresh, calls Xero. `InvoiceStore.load_invoices(tenant_id, contact_id, force=False)` is the one
place that fetches, so a rate budget, request coalescing or stale-while-revalidate can wrap it later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from plugin.clock import Clock
from plugin.xero.errors import BadXeroData, XeroError
from plugin.xero.models import Contact, ContactStatus, Invoice, Organisation

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


# --- Which Xero contact is this record? -------------------------------------------------------


class MatchMethod(StrEnum):
    LINKED = "linked"
    EMAIL = "email"
    COMPANY = "company"
    NONE = "none"
    SEVERAL = "several"


@dataclass(frozen=True, slots=True)
class RecordKey:
    """A CRM record a link or pin can hang on."""

    type: str
    id: str


@dataclass(frozen=True, slots=True)
class MatchInput:
    """What the CRM told us about the record, flattened: a deal brings its contact's email and account's name."""

    records: tuple[RecordKey, ...]  # the record itself first, then a deal's contact and account
    email: str = ""
    company: str = ""
    is_account: bool = False


@dataclass(frozen=True, slots=True)
class ContactMatch:
    """The outcome of matching, with the plain-words steps that were tried (shown when nothing matched)."""

    method: MatchMethod
    contact_id: str = ""
    contact_name: str = ""
    linked_on: RecordKey | None = None
    tried: tuple[str, ...] = ()
    candidates: tuple[Contact, ...] = field(default_factory=tuple)
    tenant_id: str = ""  # the organisation matched in (the open panel's change poll names it)

    @property
    def found(self) -> bool:
        return bool(self.contact_id)

    @property
    def description(self) -> str:
        if self.method is MatchMethod.LINKED:
            return "Linked by hand"
        if self.method is MatchMethod.EMAIL:
            return "Matched by email"
        if self.method is MatchMethod.COMPANY:
            return "Matched by company name"
        return ""


class LinkLookup(Protocol):
    """Stored record → Xero contact links (plugin.storage's ContactLinks, reduced to what matching needs)."""

    def __call__(self, record: RecordKey) -> tuple[str, str] | None:
        """(contact_id, contact_name) linked to the record, or None."""


def comparable(text: str) -> str:
    """Trimmed, inner white space made one space, case-folded: how emails and names are compared."""
    return " ".join(text.split()).casefold()


def same_text(left: str, right: str) -> bool:
    return comparable(left) == comparable(right)


# --- The organisation's customer directory -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerDirectory:
    """Every active customer of one organisation, indexed by comparable email and name, so matching a record
    costs no Xero call. `complete` False: the organisation has too many customers to list; match per record."""

    tenant_id: str
    complete: bool
    by_email: dict[str, tuple[Contact, ...]] = field(default_factory=dict)
    by_name: dict[str, tuple[Contact, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, tenant_id: str, contacts: Iterable[Contact]) -> CustomerDirectory:
        by_email: dict[str, list[Contact]] = {}
        by_name: dict[str, list[Contact]] = {}
        for contact in contacts:
            if not contact.is_customer or contact.status is not ContactStatus.ACTIVE:
                continue
            if contact.email.strip():
                by_email.setdefault(comparable(contact.email), []).append(contact)
            by_name.setdefault(comparable(contact.name), []).append(contact)
        return cls(tenant_id, True, {key: tuple(found) for key, found in by_email.items()},
                   {key: tuple(found) for key, found in by_name.items()})

    def find(self, method: MatchMethod, value: str) -> tuple[Contact, ...]:
        index = self.by_email if method is MatchMethod.EMAIL else self.by_name
        return index.get(comparable(value), ())


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


class Flight(Protocol):
    """plugin.coalesce.SingleFlight's run: `fetch()` once among concurrent callers of `key`."""

    def run(self, key: str, fetch: Callable[[], Any], peek: Callable[[], Any]) -> Any: ...


class CustomerDirectories:
    """Each organisation's directory, fetched once per DIRECTORY_TTL through the shared cache (and the flight, so
    many reps opening records at once cause one fetch)."""

    def __init__(self, cache: CacheBackend, flight: Flight | None = None) -> None:
        self._cache = cache
        self._flight = flight

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


def find_contact(subject: MatchInput, *, linked: LinkLookup, client: Callable[[], XeroReader],
                 directory: Callable[[], CustomerDirectory] | None = None) -> ContactMatch:
    """Stored link, then customer email (case-insensitive), then for accounts the company name (trimmed,
    case-insensitive). The organisation's customer `directory` answers without a Xero call; when it is too large
    or can't be had, Xero's searchTerm narrows the list and the exact comparison is made here."""
    tried: list[str] = []
    for record in subject.records:
        link = linked(record)
        if link:
            return ContactMatch(MatchMethod.LINKED, link[0], link[1], linked_on=record)
    tried.append("No Xero customer has been linked to this record.")
    steps = _match_steps(subject)
    known = _complete_directory(directory) if steps else None
    for method, value, label in steps:
        if known is not None:
            exact = list(known.find(method, value))
        else:
            customers = [contact for contact in client().contacts(search_term=value) if contact.is_customer]
            exact = [contact for contact in customers if same_text(_field(contact, method), value)]
        if len(exact) == 1:
            return ContactMatch(method, exact[0].contact_id, exact[0].name, tried=tuple(tried))
        if len(exact) > 1:
            tried.append(f"{len(exact)} Xero customers have the {label} “{value.strip()}”.")
            return ContactMatch(MatchMethod.SEVERAL, tried=tuple(tried), candidates=tuple(exact))
        tried.append(f"No Xero customer has the {label} “{value.strip()}”.")
    if not subject.email:
        tried.append("This record has no email address to match on.")
    return ContactMatch(MatchMethod.NONE, tried=tuple(tried))


def _complete_directory(directory: Callable[[], CustomerDirectory] | None) -> CustomerDirectory | None:
    """The directory when it lists every customer; None (search per record instead) when too large or unavailable."""
    if directory is None:
        return None
    try:
        known = directory()
    except XeroError:
        return None
    return known if known.complete else None


def _match_steps(subject: MatchInput) -> list[tuple[MatchMethod, str, str]]:
    steps = []
    if subject.email.strip():
        steps.append((MatchMethod.EMAIL, subject.email.strip(), "email"))
    if subject.is_account and subject.company.strip():
        steps.append((MatchMethod.COMPANY, subject.company.strip(), "name"))
    return steps


def _field(contact: Contact, method: MatchMethod) -> str:
    return contact.email if method is MatchMethod.EMAIL else contact.name


def search_customers(client: XeroReader, text: str, limit: int = 20) -> tuple[Contact, ...]:
    """Xero customers whose name or email contains `text` (Xero's searchTerm), for linking by hand."""
    needle = " ".join(text.split())
    if len(needle) < 2:
        return ()
    found = [contact for contact in client.contacts(search_term=needle) if contact.is_customer]
    return tuple(sorted(found, key=lambda contact: contact.name.casefold())[:limit])


# --- Links into Xero -------------------------------------------------------------------------


def deep_link(deep_link_base: str, short_code: str | None, invoice: Invoice) -> str:
    """Opens the invoice in Xero, in the right organisation when its ShortCode is known."""
    ledger = "AccountsPayable" if invoice.is_bill else "AccountsReceivable"
    target = f"/{ledger}/View.aspx?InvoiceID={invoice.invoice_id}"
    base = deep_link_base.rstrip("/")
    if not short_code:
        return f"{base}{target}"
    return f"{base}/organisationlogin/default.aspx?shortcode={short_code}&redirecturl={target}"
