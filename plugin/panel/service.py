"""Where the panel's data comes from: which Xero contact a CRM record is, and that contact's invoices.

Invoices are cached per (tenant, contact) with the time they were fetched. Everything a rep does in
the panel (switch view, search, filter, pin, Show more) reads the cache; only a cold or expired entry,
or Refresh, calls Xero. `InvoiceStore.load_invoices(tenant_id, contact_id, force=False)` is the one
place that fetches, so a rate budget, request coalescing or stale-while-revalidate can wrap it later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from plugin.clock import Clock
from plugin.xero.errors import XeroError
from plugin.xero.models import Contact, Invoice, Organisation

INVOICE_PAGE_SIZE = 1000  # Xero's largest page: one call covers almost every customer
ORGANISATION_TTL = 24 * 3600
MATCH_TTL = 3600  # a found contact rarely changes; a miss is retried after the invoice TTL


class XeroReader(Protocol):
    """The part of plugin.xero.client.XeroClient the panel reads with."""

    def organisation(self) -> Organisation: ...

    def contacts(self, *, search_term: str | None = None, page_size: int = 100) -> Iterable[Contact]: ...

    def contact(self, contact_id: str) -> Contact: ...

    def invoices(self, *, contact_ids: Sequence[str] = (), page_size: int = 100) -> Iterable[Invoice]: ...


class CacheBackend(Protocol):
    """The part of Flask-Caching's `cache` used here."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool: ...

    def delete(self, key: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class InvoiceSnapshot:
    """A contact's invoices as Xero returned them at `fetched_at`."""

    tenant_id: str
    contact_id: str
    invoices: tuple[Invoice, ...]
    fetched_at: datetime

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.fetched_at).total_seconds())


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
        invoices = tuple(self._client().invoices(contact_ids=(contact_id,), page_size=INVOICE_PAGE_SIZE))
        snapshot = InvoiceSnapshot(tenant_id, contact_id, invoices, self._clock.now())
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


def same_text(left: str, right: str) -> bool:
    return " ".join(left.split()).casefold() == " ".join(right.split()).casefold()


def find_contact(subject: MatchInput, *, linked: LinkLookup, client: Callable[[], XeroReader]) -> ContactMatch:
    """Stored link, then customer email (case-insensitive), then for accounts the company name (trimmed,
    case-insensitive). Xero's searchTerm narrows the list; the exact comparison is made here."""
    tried: list[str] = []
    for record in subject.records:
        link = linked(record)
        if link:
            return ContactMatch(MatchMethod.LINKED, link[0], link[1], linked_on=record)
    tried.append("No Xero customer has been linked to this record.")
    for method, value, label in _match_steps(subject):
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
