"""The change log: when Xero last said a contact's (or a whole organisation's) data changed.

Webhook events name invoices and contacts; an invoice event is traced to its contact through an index
(invoice -> contact) written whenever a contact's invoices are fetched. A changed contact's cached data is
dropped through the `drop` callback its owner registers, so this module knows no cache keys but its own:
- CONTACT event: that contact changed, and the organisation's customer directory is dropped.
- INVOICE event for an invoice we have cached: its contact changed.
- INVOICE CREATE event (a new invoice, whose contact the event does not name), or a CREDITNOTE event: the
  organisation's change time moves, and the next view of any cached contact asks one organisation-wide sweep
  (plugin.runtime.invoices) which contacts it concerns.
- INVOICE UPDATE event for an invoice we have never seen: nothing. Every invoice of a cached contact is in the
  index (written by its fetch, and by the sweep that added a new one), so it belongs to a contact nobody has
  cached, whose first view fetches it anyway. Before this rule, the day's payments on invoices of customers
  nobody had opened set off a sweep each. The index outlives the snapshots (KEEP_SECONDS); should Redis evict an
  index entry under memory pressure, an update of that invoice goes unseen until the contact's data needs
  confirming again (CACHE_TTL, or TRUST_SECONDS while webhooks flow).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from plugin.domain.clock import Clock
from plugin.xero.webhooks import XeroEvent

KEEP_SECONDS = 2 * 24 * 3600  # longer than cached invoices live, so a change is never forgotten first
# Webhooks count as flowing for an organisation while a signed delivery naming it came within this long. While they
# flow, a contact's cached data that no webhook reported changed stays current past CACHE_TTL (up to TRUST_SECONDS
# old): Xero would have told us of a change.
FLOWING_SECONDS = 15 * 60
TRUST_SECONDS = 3600
WANTED_MAX = 50  # contacts remembered as dropped for a change, to be fetched along with the next cold fetch


class ChangeLog:
    """When Xero last told us a contact's (or a whole organisation's) data changed, and which contact
    each cached invoice belongs to. Lives in the shared cache, so every worker sees the same."""

    def __init__(self, store, clock: Clock, *, drop: Callable[[str, str], None] | None = None,
                 drop_directory: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.drop = drop  # (tenant_id, contact_id): forget that contact's cached invoices
        self.drop_directory = drop_directory  # (tenant_id): forget the organisation's customer directory

    def remember_invoices(self, tenant_id: str, contact_id: str, invoice_ids: Iterable[str]) -> None:
        mapping = {_invoice_key(tenant_id, invoice_id): contact_id for invoice_id in invoice_ids}
        if mapping:
            self.store.set_many(mapping, timeout=KEEP_SECONDS)

    def contact_of(self, tenant_id: str, invoice_id: str) -> str | None:
        return self.store.get(_invoice_key(tenant_id, invoice_id))

    def contacts_of(self, tenant_id: str, invoice_ids: Sequence[str]) -> list[str | None]:
        """`contact_of` each invoice, in one read of the store."""
        if not invoice_ids:
            return []
        return list(self.store.get_many(*(_invoice_key(tenant_id, invoice_id) for invoice_id in invoice_ids)))

    def contact_changed(self, tenant_id: str, contact_id: str) -> None:
        self.store.set(_contact_key(tenant_id, contact_id), self.clock.now().timestamp(), timeout=KEEP_SECONDS)
        if self.drop is not None:
            self.drop(tenant_id, contact_id)
        self._want(tenant_id, contact_id)

    def _want(self, tenant_id: str, contact_id: str) -> None:
        """Remember a contact whose cached data a change dropped: someone was looking at it, so the next cold fetch
        of the organisation brings its invoices along in the same call (plugin.runtime.invoices). Advisory: two
        workers writing at once may lose one name, which then costs a fetch of its own when next viewed."""
        wanted = [contact for contact in self.wanted(tenant_id) if contact != contact_id]
        self.store.set(_wanted_key(tenant_id), [contact_id, *wanted][:WANTED_MAX], timeout=KEEP_SECONDS)

    def wanted(self, tenant_id: str) -> list[str]:
        """Contacts dropped for a change and not fetched since, the latest first."""
        found = self.store.get(_wanted_key(tenant_id))
        return [contact for contact in found if isinstance(contact, str)] if isinstance(found, list) else []

    def fetched(self, tenant_id: str, contact_ids: Iterable[str]) -> None:
        """These contacts' invoices were fetched: no longer wanted."""
        done = set(contact_ids)
        wanted = self.wanted(tenant_id)
        if done & set(wanted):
            self.store.set(_wanted_key(tenant_id), [contact for contact in wanted if contact not in done],
                           timeout=KEEP_SECONDS)

    def customers_changed(self, tenant_id: str) -> None:
        """A contact was created or changed: the organisation's customer directory is fetched again when next needed."""
        if self.drop_directory is not None:
            self.drop_directory(tenant_id)

    def tenant_changed(self, tenant_id: str) -> None:
        self.store.set(_tenant_key(tenant_id), self.clock.now().timestamp(), timeout=KEEP_SECONDS)

    def webhooks_seen(self, tenant_id: str) -> None:
        """A signed delivery named this organisation: its webhooks are flowing."""
        self.store.set(_flowing_key(tenant_id), self.clock.now().timestamp(), timeout=FLOWING_SECONDS)

    @staticmethod
    def flowing_key(tenant_id: str) -> str:
        """The shared key whose value `flowing` reads (batched with the snapshot's stamp by the caller)."""
        return _flowing_key(tenant_id)

    def flowing(self, value: object, now: datetime) -> bool:
        """Were webhooks flowing for the organisation at `now`, given the value read from `flowing_key`?"""
        return isinstance(value, int | float) and now.timestamp() - value < FLOWING_SECONDS

    def are_flowing(self, tenant_id: str) -> bool:
        """Are the organisation's webhooks flowing now?"""
        return self.flowing(self.store.get(_flowing_key(tenant_id)), self.clock.now())

    def last_change(self, tenant_id: str, contact_id: str) -> datetime | None:
        return self.latest(self.store.get_many(*self.keys(tenant_id, contact_id)))

    @staticmethod
    def keys(tenant_id: str, contact_id: str) -> tuple[str, str]:
        """The shared keys whose values `latest` reads (so a caller can batch them with its own reads)."""
        return _contact_key(tenant_id, contact_id), _tenant_key(tenant_id)

    @staticmethod
    def latest(stamps: Iterable[object]) -> datetime | None:
        """The last change among the values read from `keys`."""
        latest = max((stamp for stamp in stamps if isinstance(stamp, int | float)), default=None)
        return None if latest is None else datetime.fromtimestamp(latest, UTC)

    def changed_after(self, tenant_id: str, contact_id: str, instant: datetime) -> bool:
        """Did Xero report a change to this contact's data after `instant` (when its data was fetched)?"""
        last = self.last_change(tenant_id, contact_id)
        return last is not None and last > instant

    def apply(self, events: Iterable[XeroEvent]) -> None:
        events = list(events)
        for tenant_id in {event.tenant_id for event in events}:
            self.webhooks_seen(tenant_id)
        for event in events:
            if event.category == "CONTACT":
                self.contact_changed(event.tenant_id, event.resource_id)
                self.customers_changed(event.tenant_id)
            elif event.category == "INVOICE":
                contact_id = self.contact_of(event.tenant_id, event.resource_id)
                if contact_id:
                    self.contact_changed(event.tenant_id, contact_id)
                elif event.event_type != "UPDATE":  # a new invoice (or a type Xero may add): whose, a sweep says
                    self.tenant_changed(event.tenant_id)
            elif event.category == "CREDITNOTE":  # an applied credit changes invoices we can't name
                self.tenant_changed(event.tenant_id)


def _invoice_key(tenant_id: str, invoice_id: str) -> str:
    return f"webhooks:invoice-contact:{tenant_id}:{invoice_id.lower()}"


def _contact_key(tenant_id: str, contact_id: str) -> str:
    return f"webhooks:contact-changed:{tenant_id}:{contact_id.lower()}"


def _wanted_key(tenant_id: str) -> str:
    return f"webhooks:wanted:{tenant_id}"


def _flowing_key(tenant_id: str) -> str:
    return f"webhooks:flowing:{tenant_id}"


def _tenant_key(tenant_id: str) -> str:
    return f"webhooks:tenant-changed:{tenant_id}"
