"""Where the panel's data comes from: a contact's invoices, the organisation and its customer directory.

Invoices are cached per (tenant, contact) with the time they were fetched, in the one snapshot cache
(plugin.runtime.snapshots: shared and encoded, decoded once per worker). Everything a rep does in
the panel (switch view, search, filter, pin, Show more) reads the cache; only a cold or expired entry,
or Refresh, calls Xero. `InvoiceStore.load_invoices(tenant_id, contact_id, force=False)` is the one
place that fetches, so a rate budget, request coalescing or stale-while-revalidate can wrap it later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from plugin.domain.clock import Clock, SystemClock
from plugin.domain.matching import CustomerDirectory
from plugin.domain.models import Contact, Invoice, Organisation
from plugin.runtime.changes import TRUST_SECONDS, ChangeLog
from plugin.runtime.encoding import Typed
from plugin.runtime.single_flight import SingleFlight
from plugin.runtime.snapshots import (
    MAX_SHOWN_TEXT,
    InvoiceSnapshot,
    Snapshot,
    SnapshotCache,
    UnreadableInvoice,
    read_keys,
)
from plugin.xero.errors import BadXeroData, XeroError

log = logging.getLogger(__name__)

INVOICE_PAGE_SIZE = 1000  # Xero's largest page: one call covers almost every customer
ORGANISATION_TTL = 24 * 3600
MATCH_TTL = 3600  # a found contact rarely changes; a miss is retried after the invoice TTL
DIRECTORY_TTL = 15 * 60  # the organisation's customer list, shared by every rep; CONTACT webhooks drop it sooner
DIRECTORY_PAGE_SIZE = 1000  # Xero's largest page
DIRECTORY_MAX_PAGES = 5  # beyond this the organisation is matched per record with searchTerm instead
# If-Modified-Since asks from this long before the last confirmation: Xero's header has whole seconds, and
# Xero stamps changes with its own clock, which may be a little behind ours. Listing a change twice is harmless.
SINCE_OVERLAP_SECONDS = 5
DIRECTORY_KEEP_SECONDS = 24 * 3600  # kept past its freshness, so a stale one is revalidated, not fetched whole


class XeroReader(Protocol):
    """The part of plugin.xero.client.XeroClient the panel reads with."""

    def organisation(self) -> Organisation: ...

    def contacts(self, *, search_term: str | None = None, where: str | None = None, page_size: int = 100,
                 summary_only: bool = False, include_archived: bool = False,
                 if_modified_since: datetime | None = None) -> Iterable[Contact]: ...

    def contact(self, contact_id: str) -> Contact: ...

    def invoices(self, *, contact_ids: Sequence[str] = (), page_size: int = 100,
                 on_unreadable: Callable[[Mapping[str, Any], BadXeroData], None] | None = None,
                 ) -> Iterable[Invoice]: ...


class CacheBackend(Protocol):
    """The part of Flask-Caching's `cache` used here."""

    def get(self, key: str) -> Any: ...

    def get_many(self, *keys: str) -> list[Any]: ...

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool: ...

    def set_many(self, mapping: dict[str, Any], timeout: int | None = None) -> Any: ...

    def delete(self, key: str) -> bool: ...

    def delete_many(self, *keys: str) -> Any: ...


def _raw_contact_id(raw: Mapping[str, Any]) -> str | None:
    """The ContactID of an invoice as Xero sent it (one we could not read), when it has one."""
    contact = raw.get("Contact") if isinstance(raw, Mapping) else None
    found = contact.get("ContactID") if isinstance(contact, Mapping) else None
    return found if isinstance(found, str) else None


def _raw_id(raw: Mapping[str, Any]) -> str:
    invoice_id = raw.get("InvoiceID") if isinstance(raw, Mapping) else None
    return invoice_id[:MAX_SHOWN_TEXT] if isinstance(invoice_id, str) else "no InvoiceID"


_ORGANISATION: Typed[Organisation] = Typed(Organisation)
_DIRECTORY: Typed[CustomerDirectory] = Typed(CustomerDirectory)


class InvoiceStore:
    """Invoices and organisation details per tenant, from the cache or from Xero.

    `client` is called only when Xero must be asked, so a warm panel never builds a client
    (which could mean a token refresh) at all.
    """

    def __init__(self, *, cache: CacheBackend, clock: Clock, client: Callable[[], XeroReader], ttl: float = 60,
                 snapshots: SnapshotCache | None = None) -> None:
        self._cache = cache
        self._clock = clock
        self._client = client
        self.ttl = ttl
        self.snapshots = snapshots or SnapshotCache(cache)  # the app's one (plugin.services), or a private one

    def peek(self, tenant_id: str, contact_id: str) -> Snapshot | None:
        """Whatever is cached, however old; never calls Xero."""
        return self.snapshots.get(tenant_id, contact_id)

    def peek_with(self, tenant_id: str, contact_id: str, also: Sequence[str] = (),
                  read_ahead: Sequence[Any] | None = None) -> tuple[Snapshot | None, list[Any]]:
        """`peek`, plus the shared keys `also` read in the same round trip (or already read: `read_ahead`, the
        values of `snapshots.read_keys(tenant_id, contact_id, also)`)."""
        return self.snapshots.read(tenant_id, contact_id, also, read_ahead)

    def is_fresh(self, snapshot: Snapshot) -> bool:
        return snapshot.age_seconds(self._clock.now()) < self.ttl

    def load_invoices(self, tenant_id: str, contact_id: str, force: bool = False) -> Snapshot:
        """Fresh cached invoices, or every page from Xero (then cached). Raises XeroError subclasses."""
        if not force:
            cached = self.peek(tenant_id, contact_id)
            if cached is not None and self.is_fresh(cached):
                return cached
        return self.load_together(tenant_id, contact_id)[contact_id]

    def load_together(self, tenant_id: str, contact_id: str, also: Sequence[str] = ()) -> dict[str, Snapshot]:
        """One call for the invoices of `contact_id` and of the contacts `also` (Xero's ContactIDs takes several):
        each contact's snapshot, fetched now and cached. Raises XeroError subclasses."""
        contact_ids = (contact_id, *(other for other in also if other.lower() != contact_id.lower()))
        invoices: dict[str, list[Invoice]] = {contact: [] for contact in contact_ids}
        unreadable: dict[str, list[UnreadableInvoice]] = {contact: [] for contact in contact_ids}
        asked = {contact.lower(): contact for contact in contact_ids}

        def owner(found: str | None) -> str:
            # Xero's GUIDs in any case; anything not asked for (or a single contact's list) is the first's
            return asked.get((found or "").lower(), contact_id) if also else contact_id

        def leave_out(raw: Mapping[str, Any], error: BadXeroData) -> None:
            # The rep sees the number and plain reason; the log keeps the field and value for whoever fixes it.
            whose, left_out = owner(_raw_contact_id(raw)), UnreadableInvoice.of(raw, error)
            unreadable[whose].append(left_out)
            log.warning("invoices of tenant %s, contact %s: left out invoice %s (%s): %s: %s", tenant_id, whose,
                        left_out.number or "without a number", _raw_id(raw), type(error).__name__, error)

        for invoice in self._client().invoices(contact_ids=contact_ids, page_size=INVOICE_PAGE_SIZE,
                                               on_unreadable=leave_out):
            invoices[owner(invoice.contact_id)].append(invoice)
        now = self._clock.now()
        return {contact: self.snapshots.put(InvoiceSnapshot(tenant_id, contact, tuple(invoices[contact]), now,
                                                            tuple(unreadable[contact])))
                for contact in contact_ids}

    def drop(self, tenant_id: str, contact_id: str) -> None:
        self.snapshots.drop(tenant_id, contact_id)

    def organisation(self, tenant_id: str) -> Organisation | None:
        """The organisation (for its ShortCode), cached for a day; None when Xero can't say right now."""
        key = f"organisation:{tenant_id}"
        cached = _ORGANISATION.get(self._cache, key)
        if cached is not None:
            return cached
        try:
            organisation = self._client().organisation()
        except XeroError:
            return None
        _ORGANISATION.set(self._cache, key, organisation, timeout=ORGANISATION_TTL)
        return organisation


def directory_key(tenant_id: str) -> str:
    return f"customer-directory:{tenant_id}"


def directory_confirmed_key(tenant_id: str) -> str:
    return f"customer-directory-confirmed:{tenant_id}"


def fetch_directory(client: XeroReader, tenant_id: str) -> CustomerDirectory:
    """GET Contacts where IsCustomer==true, summaryOnly, 1000 a page; stops (incomplete) after DIRECTORY_MAX_PAGES."""
    limit = DIRECTORY_PAGE_SIZE * DIRECTORY_MAX_PAGES
    contacts: list[Contact] = []
    for contact in client.contacts(where="IsCustomer==true", page_size=DIRECTORY_PAGE_SIZE, summary_only=True):
        if len(contacts) == limit:
            return CustomerDirectory(tenant_id, complete=False)
        contacts.append(contact)
    return CustomerDirectory.of(tenant_id, contacts)


def revalidate_directory(client: XeroReader, previous: CustomerDirectory, since: datetime) -> CustomerDirectory:
    """`previous` brought up to date with every contact modified since `since` (If-Modified-Since, archived ones
    included, customers or not): usually one call that lists nothing, where a fetch costs a call per 1000
    customers. Contacts that stopped being active customers leave it; new ones join."""
    contacts = {contact.contact_id.lower(): contact for found in previous.by_name.values() for contact in found}
    for contact in client.contacts(if_modified_since=since, include_archived=True, page_size=DIRECTORY_PAGE_SIZE,
                                   summary_only=True):
        contacts[contact.contact_id.lower()] = contact
    if len(contacts) > DIRECTORY_PAGE_SIZE * DIRECTORY_MAX_PAGES:
        return CustomerDirectory(previous.tenant_id, complete=False)
    return CustomerDirectory.of(previous.tenant_id, contacts.values())


class CustomerDirectories:
    """Each organisation's customer directory, through `cache` (and the flight, so many reps opening records at
    once cause one call). It counts as current for DIRECTORY_TTL after it was last confirmed, and up to
    TRUST_SECONDS while `trusted(tenant_id)` says the organisation's webhooks are flowing (a CONTACT webhook
    marks it stale at once). A stale directory is revalidated with one If-Modified-Since call; only a missing or
    incomplete one is fetched whole.

    `cache` is the shared Redis cache with REDIS_URL, and otherwise an in-process store of its own
    (plugin.services), so the per-contact entries of a busy worker never push the directory out."""

    def __init__(self, cache: CacheBackend, flight: SingleFlight | None = None, *, clock: Clock | None = None,
                 trusted: Callable[[str], bool] | None = None) -> None:
        self._cache = cache
        self._flight = flight
        self._clock = clock or SystemClock()
        self.trusted = trusted or (lambda tenant_id: False)  # set by plugin.services: webhooks flowing
        # tenant -> (the encoded directory last read, its decoded form): a directory of thousands of customers is
        # decoded once per worker per fetch, not on every view that matches a record.
        self._decoded: dict[str, tuple[bytes, CustomerDirectory]] = {}

    def _read(self, tenant_id: str) -> tuple[CustomerDirectory | None, float | None, bool]:
        """The cached directory, when it was last confirmed current, and whether a change was reported since."""
        raw, confirmed = self._cache.get_many(directory_key(tenant_id), directory_confirmed_key(tenant_id))
        parts = _two_numbers(confirmed)  # [confirmed at, 1 or 0: not reported changed since]
        memo = self._decoded.get(tenant_id)
        if memo is not None and raw is not None and memo[0] == raw:
            directory = memo[1]
        else:
            directory = _DIRECTORY.decode(raw)
            if directory is not None and isinstance(raw, bytes):
                self._decoded[tenant_id] = (raw, directory)
        if parts is None:
            return directory, None, True
        return directory, parts[0], not parts[1]

    def _current(self, tenant_id: str, confirmed: float | None, changed: bool) -> bool:
        if confirmed is None or changed:
            return False
        age = self._clock.now().timestamp() - confirmed
        return age < DIRECTORY_TTL or (age < TRUST_SECONDS and self.trusted(tenant_id))

    def drop(self, tenant_id: str) -> None:
        """A contact changed: the directory is revalidated (one If-Modified-Since call) before it is used again."""
        parts = _two_numbers(self._cache.get(directory_confirmed_key(tenant_id)))  # not the directory itself
        if parts is not None:
            self._cache.set(directory_confirmed_key(tenant_id), [parts[0], 0], timeout=DIRECTORY_KEEP_SECONDS)

    def peek(self, tenant_id: str) -> CustomerDirectory | None:
        """The cached directory if it is current; never calls Xero."""
        directory, confirmed, changed = self._read(tenant_id)
        return directory if self._current(tenant_id, confirmed, changed) else None

    def put(self, tenant_id: str, directory: CustomerDirectory) -> None:
        """Keep `directory` as confirmed current now (the directory first, then its confirmation)."""
        _DIRECTORY.set(self._cache, directory_key(tenant_id), directory, timeout=DIRECTORY_KEEP_SECONDS)
        self._cache.set(directory_confirmed_key(tenant_id), [self._clock.now().timestamp(), 1],
                        timeout=DIRECTORY_KEEP_SECONDS)

    def get(self, tenant_id: str, client: Callable[[], XeroReader]) -> CustomerDirectory:
        current = self.peek(tenant_id)
        if current is not None:
            return current

        def fetch() -> CustomerDirectory:
            previous, confirmed, _changed = self._read(tenant_id)
            if previous is not None and previous.complete and confirmed is not None:
                since = datetime.fromtimestamp(confirmed - SINCE_OVERLAP_SECONDS, UTC)
                directory = revalidate_directory(client(), previous, since)
            else:
                directory = fetch_directory(client(), tenant_id)
            self.put(tenant_id, directory)
            return directory

        if self._flight is None:
            return fetch()
        return self._flight.run(f"directory:{tenant_id}", fetch, lambda: self.peek(tenant_id))


def search_customers(client: XeroReader, text: str, limit: int = 20) -> tuple[Contact, ...]:
    """Xero customers whose name or email contains `text` (Xero's searchTerm), for linking by hand."""
    needle = " ".join(text.split())
    if len(needle) < 2:
        return ()
    found = [contact for contact in client.contacts(search_term=needle) if contact.is_customer]
    return tuple(sorted(found, key=lambda contact: contact.name.casefold())[:limit])


@dataclass(frozen=True, slots=True)
class Loaded:
    """One request's read of a contact's invoices: the snapshot, and whether it is current (within its TTL and
    not reported changed since it was fetched), judged from the same read."""

    snapshot: Snapshot
    current: bool
    fetched: bool = False  # this contact's invoices were fetched from Xero for this read (or for one it waited on)
    confirmed_at: datetime | None = None  # when the data was last confirmed current (its fetch, or a later sweep)


CURRENT, SWEEP, STALE = "current", "sweep", "stale"
SWEEP_FIRST_LOOKBACK = 3600.0  # the first sweep of an organisation looks this far back (later ones: since the last)
SWEEP_KEEP_SECONDS = 24 * 3600  # a longer gap breaks the chain of sweeps; contacts fetched before it fetch again
# Contacts a change dropped, fetched along with a cold fetch (Xero's ContactIDs takes several): few, so the one
# call stays one page of INVOICE_PAGE_SIZE for all but the largest customers.
RIDE_ALONG = 5


def sweep_key(tenant_id: str) -> str:
    return f"invoice-sweep:{tenant_id}"


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _two_numbers(value: object) -> tuple[float, float] | None:
    """A stored [number, number] pair (as MessagePack gives it back), or None for anything else."""
    if isinstance(value, list | tuple) and len(value) == 2 and all(_number(part) for part in value):
        return float(value[0]), float(value[1])
    return None


def _confirmed_at(snapshot: Snapshot, sweep: object) -> datetime:
    """The sweep record is (as of, covered from): every invoice modified between the two was seen."""
    parts = _two_numbers(sweep)
    fetched = snapshot.fetched_at
    if parts is not None and parts[1] <= fetched.timestamp() < parts[0]:
        return datetime.fromtimestamp(parts[0], UTC)
    return fetched


class SharedInvoices:
    """The panel's InvoiceStore (plugin.runtime.invoices) with single-flight fetches, stale-while-revalidate and
    webhook changes. Everything else (peek, organisation, drop, ttl) is the wrapped store's.

    `read(..., stale_ok=True)` returns data past its TTL at once, with `current` False; the caller shows it
    marked with its age and asks again with `stale_ok=False` (an htmx request on load). A warm read is one
    batched read of the shared cache: the snapshot's stamp and the change log's stamps (plugin.runtime.snapshots).

    `on_lookup(tenant_id, hit=...)` hears every cache lookup (not Refresh, which skips the cache): the panel's
    hit rate in the admin diagnostics (plugin.runtime.lookups.record_cache_lookup).
    """

    def __init__(self, store, *, flight: SingleFlight, clock: Clock, changes: ChangeLog | None = None,
                 on_lookup: Callable[..., None] | None = None, sweeps: bool = False) -> None:
        self.store = store
        self.flight = flight
        self.clock = clock  # the app's clock, the one snapshots are stamped with
        self.changes = changes  # plugin.runtime.changes.ChangeLog, or None
        self.on_lookup = on_lookup
        self.sweeps = sweeps and changes is not None  # revalidate by organisation-wide If-Modified-Since sweeps

    def __getattr__(self, name: str):
        return getattr(self.store, name)

    # --- judging what is cached ------------------------------------------------------------------------------

    def _keys(self, tenant_id: str, contact_id: str) -> tuple[str, ...]:
        if self.changes is None:
            return ()
        contact_key, tenant_key = self.changes.keys(tenant_id, contact_id)
        return contact_key, tenant_key, self.changes.flowing_key(tenant_id), sweep_key(tenant_id)

    def _values(self, snapshot: Snapshot) -> list[Any]:
        keys = self._keys(snapshot.tenant_id, snapshot.contact_id)
        return list(self.changes.store.get_many(*keys)) if keys else []

    def is_current(self, snapshot: Snapshot) -> bool:
        """Confirmed within its TTL (by its fetch or a later sweep), or within TRUST_SECONDS while the
        organisation's webhooks are flowing; and not reported changed since it was fetched."""
        return self._judge(snapshot, self._values(snapshot)) == CURRENT

    def confirmed_at(self, snapshot: Snapshot) -> datetime:
        """When the snapshot was last confirmed current: its fetch, or a later sweep that found it unchanged."""
        values = self._values(snapshot)
        return _confirmed_at(snapshot, values[3] if len(values) == 4 else None)

    def _judge(self, snapshot: Snapshot, values: Sequence[Any]) -> str:
        """CURRENT, SWEEP (a sweep can tell whether it changed) or STALE (fetch it again)."""
        if not values:
            return CURRENT if self.store.is_fresh(snapshot) else STALE
        contact_stamp, tenant_stamp, flowing, sweep = values
        fetched = snapshot.fetched_at.timestamp()
        if _number(contact_stamp) and contact_stamp > fetched:
            return STALE
        confirmed = _confirmed_at(snapshot, sweep)
        if _number(tenant_stamp) and tenant_stamp > fetched and tenant_stamp > confirmed.timestamp():
            # something of the organisation changed that a webhook could not name (a new invoice): a sweep can
            return SWEEP if self.sweeps else STALE
        now = self.clock.now()
        age = (now - confirmed).total_seconds()
        if age < self.store.ttl or (self.changes.flowing(flowing, now) and age < TRUST_SECONDS):
            return CURRENT
        return SWEEP if self.sweeps else STALE

    # --- reading ---------------------------------------------------------------------------------------------

    def load_invoices(self, tenant_id: str, contact_id: str, force: bool = False, stale_ok: bool = False) -> Snapshot:
        return self.read(tenant_id, contact_id, force=force, stale_ok=stale_ok).snapshot

    def read_keys(self, tenant_id: str, contact_id: str) -> tuple[str, ...]:
        """The shared keys a warm `read` of the contact reads, in order. A caller may read them together with keys
        of its own (one round trip) and hand their values to `read` as `read_ahead`."""
        return read_keys(tenant_id, contact_id, self._keys(tenant_id, contact_id))

    def read(self, tenant_id: str, contact_id: str, *, force: bool = False, stale_ok: bool = False,
             read_ahead: Sequence[Any] | None = None) -> Loaded:
        """The contact's invoices: cached when current (or `stale_ok`), else fetched (once among concurrent
        callers). `read_ahead`: the values of `read_keys(tenant_id, contact_id)`, read moments ago."""
        if not force:
            cached, values = self.store.peek_with(tenant_id, contact_id, self._keys(tenant_id, contact_id),
                                                  read_ahead)
            verdict = STALE if cached is None else self._judge(cached, values)
            current = verdict == CURRENT
            hit = current or (cached is not None and stale_ok)
            if self.on_lookup is not None:
                self.on_lookup(tenant_id, hit=hit)
            if hit:
                return Loaded(cached, current, confirmed_at=_confirmed_at(cached, values[3] if values else None))
            if verdict == SWEEP:
                swept = self._swept(tenant_id, contact_id)
                if swept is not None:
                    return swept
        asked_at = self.clock.now() if force else None
        if force and self.sweeps:
            # Refresh: one organisation-wide sweep confirms (or brings up to date) this contact's data and every
            # other cached contact's at once, where it covers this one; a fetch of its own otherwise.
            cached, values = self.store.peek_with(tenant_id, contact_id, self._keys(tenant_id, contact_id))
            if cached is not None and self._sweep_covers(cached, values):
                swept = self._swept(tenant_id, contact_id, asked_at=asked_at)
                if swept is not None:
                    return swept

        def good_enough():
            found = self.store.peek(tenant_id, contact_id)
            if found is None:
                return None
            if asked_at is not None:  # Refresh wants data fetched after it was clicked
                return found if found.fetched_at > asked_at else None
            return found if self.is_current(found) else None

        snapshot = self.flight.run(f"invoices:{tenant_id}:{contact_id}", lambda: self._fetch(tenant_id, contact_id),
                                   good_enough)
        return Loaded(snapshot, self.store.is_fresh(snapshot), fetched=True, confirmed_at=snapshot.fetched_at)

    def _swept(self, tenant_id: str, contact_id: str, asked_at: datetime | None = None) -> Loaded | None:
        """After a sweep (this one's, or one it joined): the contact's data if the sweep confirmed it current (or
        brought it up to date), confirmed after `asked_at` when given; None when it must be fetched."""
        self.sweep(tenant_id, after=asked_at)
        found, values = self.store.peek_with(tenant_id, contact_id, self._keys(tenant_id, contact_id))
        if found is None or self._judge(found, values) != CURRENT:
            return None
        confirmed = _confirmed_at(found, values[3])
        if asked_at is not None and confirmed < asked_at:
            return None
        return Loaded(found, True, confirmed_at=confirmed)

    def _sweep_covers(self, snapshot: Snapshot, values: Sequence[Any]) -> bool:
        """Would the next sweep list every change made to this contact's data since it was last confirmed? (It
        lists changes since the previous sweep, or over the last SWEEP_FIRST_LOOKBACK for an organisation's first.)
        False too when a webhook said this contact changed after its fetch."""
        contact_stamp, _tenant_stamp, _flowing, sweep = values
        if _number(contact_stamp) and contact_stamp > snapshot.fetched_at.timestamp():
            return False
        return _confirmed_at(snapshot, sweep).timestamp() >= self._sweep_since(sweep)

    def _sweep_since(self, sweep: object) -> float:
        """The instant the next sweep lists changes from."""
        previous = _two_numbers(sweep)
        if previous is None:
            return self.clock.now().timestamp() - SWEEP_FIRST_LOOKBACK
        return previous[0] - SINCE_OVERLAP_SECONDS

    # --- the organisation-wide sweep ----------------------------------------------------------------------------

    def sweep(self, tenant_id: str, *, after: datetime | None = None) -> None:
        """One If-Modified-Since call for the whole organisation (more pages only when much changed): every contact
        with an invoice modified since the last sweep is brought up to date (or, where it can't be, marked changed);
        every other cached contact counts as confirmed current at this sweep's time. Single-flight per organisation:
        concurrent needs share one. `after` (a Refresh's click): only a sweep that began after it will do."""
        asked_at = self.clock.now().timestamp()

        def done() -> bool | None:
            last = _two_numbers(self.changes.store.get(sweep_key(tenant_id)))
            if last is None:
                return None
            return True if (last[0] > after.timestamp() if after is not None else last[0] >= asked_at) else None

        self.flight.run(f"sweep:{tenant_id}", lambda: self._sweep(tenant_id) or True, done)

    def _sweep(self, tenant_id: str) -> None:
        now = self.clock.now()
        record = self.changes.store.get(sweep_key(tenant_id))
        previous = _two_numbers(record)
        since = self._sweep_since(record)
        covered_from = previous[1] if previous is not None else since
        changed: dict[str, list[Invoice]] = {}
        unreadable: set[str] = set()

        def leave_out(raw: Mapping[str, Any], error: BadXeroData) -> None:
            owner = _raw_contact_id(raw)
            if owner:
                unreadable.add(owner)  # its contact is fetched again, and says so

        for invoice in self.store._client().invoices(if_modified_since=datetime.fromtimestamp(since, UTC),
                                                      page_size=INVOICE_PAGE_SIZE, order=None,
                                                      on_unreadable=leave_out):
            changed.setdefault(invoice.contact_id, []).append(invoice)
        for contact_id in unreadable:
            self.changes.contact_changed(tenant_id, contact_id)
        self._moved_away(tenant_id, changed)
        for contact_id, invoices in changed.items():
            if contact_id not in unreadable and not self._patch(tenant_id, contact_id, invoices, since, record, now):
                self.changes.contact_changed(tenant_id, contact_id)
        self.changes.store.set(sweep_key(tenant_id), [now.timestamp(), covered_from], timeout=SWEEP_KEEP_SECONDS)

    def _patch(self, tenant_id: str, contact_id: str, changed: Sequence[Invoice], since: float,
               record: object, now: datetime) -> bool:
        """Bring the contact's cached snapshot up to `now` with the invoices the sweep found changed, without a call
        of its own; False when it can't be (its data is older than what the sweep covers: fetch it again).

        The sweep lists every invoice modified since `since`, so a snapshot last confirmed current at or after it,
        with those invoices put in (replaced by id, or added when new), is what Xero holds at the sweep's time.
        `record`: the sweep record the sweep began from (when a snapshot was last confirmed by an earlier sweep)."""
        cached = self.store.peek(tenant_id, contact_id)
        if cached is None:
            return True  # nothing cached: the next view fetches it anyway
        if cached.fetched_at >= now:
            return False  # fetched while the sweep ran: which of the two saw Xero later is not known
        if _confirmed_at(cached, record).timestamp() < since:
            return False
        by_id = {invoice.invoice_id: invoice for invoice in changed}
        invoices = [by_id.pop(invoice.invoice_id, invoice) for invoice in cached.invoices]
        invoices.extend(by_id.values())
        self.store.snapshots.put(InvoiceSnapshot(tenant_id, contact_id, tuple(invoices), now, cached.unreadable))
        self.changes.remember_invoices(tenant_id, contact_id, (invoice.invoice_id for invoice in changed))
        return True

    def _moved_away(self, tenant_id: str, changed: Mapping[str, Sequence[Invoice]]) -> None:
        """Invoices Xero now lists under another contact than the one we cached them with: those contacts changed
        too. Whom each was cached with is read in one round trip for the whole sweep (it may list hundreds)."""
        listed = [(contact_id, invoice.invoice_id) for contact_id, invoices in changed.items() for invoice in invoices]
        owners = self.changes.contacts_of(tenant_id, [invoice_id for _, invoice_id in listed])
        moved_from = {before.lower(): before for (now_with, _), before in zip(listed, owners, strict=True)
                      if isinstance(before, str) and before and before.lower() != now_with.lower()}
        for before in moved_from.values():
            self.changes.contact_changed(tenant_id, before)

    def _fetch(self, tenant_id: str, contact_id: str) -> Snapshot:
        along = self._ride_along(tenant_id, contact_id)
        fetched = self.store.load_together(tenant_id, contact_id, along)
        if self.changes is not None:
            for contact, snapshot in fetched.items():
                invoice_ids = (invoice.invoice_id for invoice in snapshot.invoices)
                self.changes.remember_invoices(tenant_id, contact, invoice_ids)
            self.changes.fetched(tenant_id, fetched)
        return fetched[contact_id]

    def _ride_along(self, tenant_id: str, contact_id: str) -> list[str]:
        """Contacts whose cached data a change dropped and that nobody has fetched since (at most RIDE_ALONG): the
        fetch of `contact_id` asks for theirs in the same call, so their next view costs nothing."""
        if self.changes is None:
            return []
        wanted = [contact for contact in self.changes.wanted(tenant_id) if contact != contact_id][:RIDE_ALONG]
        present = self.store.snapshots.present(tenant_id, wanted)
        return [contact for contact, cached in zip(wanted, present, strict=True) if not cached]


__all__ = ["InvoiceSnapshot", "InvoiceStore", "Loaded", "SharedInvoices", "Snapshot", "UnreadableInvoice", "XeroReader"]
