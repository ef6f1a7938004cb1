"""From an embed context to a PanelPage: connection, then Xero contact, then invoices, then the page.

Every Xero failure ends here as a plain-words Notice; the panel keeps the last data it has when there is any.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from plugin.domain.clock import Clock
from plugin.domain.invoices import View
from plugin.domain.matching import ContactMatch, MatchInput, MatchMethod, MatchRule, RecordKey, find_contact
from plugin.domain.models import Invoice
from plugin.domain.text import N_
from plugin.embed.context import EmbedContext
from plugin.panel.model import Notice, PanelPage, PanelQuery, Problem, build_panel, problem_only
from plugin.runtime import cache as shared_cache
from plugin.runtime import metrics
from plugin.runtime.budget import BudgetRefused, SlotsHeldBySlowCalls
from plugin.runtime.encoding import Typed
from plugin.runtime.invoices import MATCH_TTL, Snapshot, XeroReader
from plugin.runtime.tokens import NotConnected
from plugin.services import Services
from plugin.storage import STATUS_PENDING, ConnectionInfo
from plugin.web.formatting import user_timezone
from plugin.xero.errors import (
    ConnectionRevoked,
    NotFound,
    RateLimited,
    XeroError,
    XeroUnavailable,
    correlation_note,
    log_extra,
)
from plugin.xero.links import deep_link

log = logging.getLogger(__name__)

_MATCH: Typed[ContactMatch] = Typed(ContactMatch)  # a record's match, MessagePack in the shared cache
ONLINE_INVOICE_TTL = 24 * 3600
NO_MATCH_MESSAGE = N_("We couldn't tell which Xero customer this is.")
SEVERAL_MESSAGE = N_("More than one Xero customer could be this one.")
MAX_PINS = 200  # per record: far more than anyone reads, few enough that the table can't be filled at will
NOT_THIS_CUSTOMERS = N_("That invoice isn't one of this customer's invoices, so it can't be pinned here.")


class ContactGone(Exception):
    """Xero answered 404 for the matched contact's invoices."""


class PinRefused(Exception):
    """A pin that can't be made; `str(error)` is plain words for the rep."""


def match_input(embed: EmbedContext) -> MatchInput:
    """The record (and, for a deal, its contact and account) and the rules to try, in order:
    a contact: its email, then its company; an account: its email, then its name; a deal: its contact's email,
    then its account's name, then its contact's company. A contact's own email shared by several customers asks
    the rep which; a deal's goes on to its account's name (two deals whose accounts match exactly never ask)."""
    record = embed.record
    records = [RecordKey(record.type, record.id)]
    if record.type == "deal":
        contact, account = record.contact, record.account
        if contact:
            records.append(RecordKey("contact", contact.id))
        if account:
            records.append(RecordKey("account", account.id))
        rules = (
            MatchRule(MatchMethod.EMAIL, (contact.email if contact else "") or record.email, N_("the contact's email")),
            MatchRule(MatchMethod.COMPANY, (account.name if account else "") or record.company,
                      N_("the account's name")),
            MatchRule(MatchMethod.COMPANY, contact.company if contact else "", N_("the contact's company")),
        )
    elif record.type == "account":
        rules = (
            MatchRule(MatchMethod.EMAIL, record.email, N_("the account's email")),
            MatchRule(MatchMethod.COMPANY, record.company or record.name, N_("the account's name")),
        )
    else:
        rules = (
            MatchRule(MatchMethod.EMAIL, record.email, N_("the contact's email"), asks_when_several=True),
            MatchRule(MatchMethod.COMPANY, record.company, N_("the contact's company")),
        )
    return MatchInput(tuple(records), rules=rules)


class PanelLoader:
    """One rep's panel on one record. `client` builds a XeroClient only when Xero must be asked."""

    def __init__(self, embed: EmbedContext, *, services: Services, client: Callable[[], XeroReader],
                 deep_link_base: str) -> None:
        self.embed = embed
        self.db = services.database
        self.cache = services.cache
        self.clock: Clock = services.clock
        self.client = client
        self.deep_link_base = deep_link_base
        # One Xero call per contact across workers, webhook changes honoured (plugin.runtime.invoices).
        self.store = services.invoices(client)
        self.directories = services.directories  # matching a record costs no Xero call in the common case
        self.recent_matches = services.recent_matches  # lets a warm view read the shared cache once, not twice
        self.ttl = self.store.ttl
        self._connection: ConnectionInfo | None = None
        self._view_read: tuple[str | None] | None = None
        # Shared-cache values read together with the rep's view (the record's match, its contact's stamps), by key:
        # each used once, so a later read in this request asks the cache again.
        self._read_with_view: dict[str, object] = {}

    # --- Pieces ------------------------------------------------------------------------------

    @property
    def account_id(self) -> str:
        return self.embed.account_id

    def connection(self) -> ConnectionInfo | None:
        if self._connection is None:
            self._connection = self.db.connections.recent(self.account_id)
        return self._connection

    def _match_key(self, tenant_id: str) -> str:
        record = self.embed.record
        return f"match:{self.account_id}:{tenant_id}:{record.type}:{record.id}"

    def match(self, tenant_id: str) -> ContactMatch:
        """The Xero contact of this record, remembered for an hour (a miss for one invoice TTL)."""
        key = self._match_key(tenant_id)
        cached = _MATCH.decode(self._prefetched_match(tenant_id))
        if cached is not None:
            return self._noted(key, cached)
        found = replace(find_contact(match_input(self.embed), linked=self._linked(tenant_id),
                                     search=lambda text: self.client().contacts(search_term=text),
                                     directory=lambda: self._directory(tenant_id)),
                        tenant_id=tenant_id)
        _MATCH.set(self.cache, key, found, timeout=MATCH_TTL if found.found else max(int(self.ttl), 1))
        return self._noted(key, found)

    def _noted(self, key: str, found: ContactMatch) -> ContactMatch:
        """`found`, its contact noted as this record's: a hint for the next view (plugin.runtime.recent_matches)."""
        if found.found:
            self.recent_matches.put(key, found.contact_id)
        else:
            self.recent_matches.pop(key)
        return found

    def _directory(self, tenant_id: str):  # type: ignore[no-untyped-def]
        """The organisation's customer directory; None when Xero can't give it now (matching then searches)."""
        try:
            return self.directories.get(tenant_id, self.client)
        except XeroError:
            return None

    def forget_match(self, tenant_id: str) -> None:
        self._read_with_view.clear()
        self.recent_matches.pop(self._match_key(tenant_id))
        self.cache.delete(self._match_key(tenant_id))

    def _prefetched_match(self, tenant_id: str) -> object:
        """The stored match: as read together with the rep's view (one round trip to Redis instead of two), once;
        else read now."""
        key = self._match_key(tenant_id)
        return self._read_with_view.pop(key) if key in self._read_with_view else self.cache.get(key)

    def _read_ahead(self, tenant_id: str, contact_id: str) -> list[object] | None:
        """The contact's stamps as read together with the rep's view, when those were this contact's; once."""
        keys = self.store.read_keys(tenant_id, contact_id)
        if not all(key in self._read_with_view for key in keys):
            return None
        return [self._read_with_view.pop(key) for key in keys]

    def _linked(self, tenant_id: str) -> Callable[[RecordKey], tuple[str, str] | None]:
        def lookup(record: RecordKey) -> tuple[str, str] | None:
            link = self.db.contact_links.get(self.account_id, record, tenant_id)
            return (link.contact_id, link.contact_name) if link else None

        return lookup

    def reps_today(self) -> date:
        """Xero's due dates are calendar dates: whether one has passed is judged on the rep's own day."""
        return self.clock.now().astimezone(user_timezone(self.embed.user.timezone)).date()

    def pinned_ids(self, tenant_id: str) -> set[str]:
        return self.db.pins.invoice_ids(self.account_id, self.embed.record, tenant_id)

    def short_code(self, connection: ConnectionInfo) -> str:
        if connection.short_code:
            return connection.short_code
        organisation = self.store.organisation(connection.tenant_id)
        return organisation.short_code if organisation else ""

    def would_wait(self) -> bool:
        """True when this view has nothing at hand and must ask Xero first (a cold view); no Xero call."""
        connection = self.connection()
        if connection is None or not connection.is_active or not connection.tenant_id:
            return False
        found = _MATCH.get(self.cache, self._match_key(connection.tenant_id))
        if found is None:
            return True
        return bool(found.found) and self.store.peek(connection.tenant_id, found.contact_id) is None

    # --- The page ----------------------------------------------------------------------------

    def page(self, query: PanelQuery, *, force: bool = False, stale_ok: bool = False) -> PanelPage:
        """The panel for `query`; Xero is called only when the cache is cold or expired, or `force`.
        `stale_ok`: expired data is shown at once, marked `refreshing` (the page then asks again without it)."""
        connection = self.connection()
        if connection is None:
            return problem_only(query, self._no_connection_notice())
        if not connection.tenant_id or connection.status == STATUS_PENDING:
            return problem_only(query, Notice(Problem.NOT_SET_UP, N_("Xero isn't set up yet.")))
        if connection.needs_reconnect:
            return problem_only(query, Notice(Problem.NEEDS_RECONNECT, N_("The Xero connection needs renewing.")))
        tenant_id = connection.tenant_id
        if force:
            self._forget_miss(tenant_id)
        try:
            found = self.match(tenant_id)
        except XeroError as error:
            return problem_only(query, self._notice_for(error))
        if not found.found:
            return self._no_match_page(query, found)
        try:
            return self._invoices_page(query, connection, found, force=force, stale_ok=stale_ok)
        except ContactGone:
            found = self._match_again(tenant_id)
        if not found.found:
            return self._no_match_page(query, found)
        return self._invoices_page(query, connection, found, force=force, stale_ok=stale_ok, retried=True)

    def _no_match_page(self, query: PanelQuery, found: ContactMatch) -> PanelPage:
        message = SEVERAL_MESSAGE if found.candidates else NO_MATCH_MESSAGE
        return problem_only(query, Notice(Problem.NO_MATCH, message), match=found)

    def _gone_from_directory(self, tenant_id: str, found: ContactMatch) -> bool:
        """The contact this record was matched to is no longer an active customer in the organisation's directory
        (refreshed every 15 minutes, at once on a CONTACT webhook): archived or deleted since. A link made by hand
        stays until someone unlinks it. Asked only by a view that fetched the contact's invoices anyway, so a missing
        directory costs one call per organisation, shared by every record, and a warm view reads none."""
        if found.method is MatchMethod.LINKED:
            return False
        directory = self._directory(tenant_id)
        return directory is not None and directory.no_longer_lists(found.contact_id)

    def _match_again(self, tenant_id: str) -> ContactMatch:
        log.info("account %s, %s %s: the matched Xero contact is gone; matching again", self.account_id,
                 self.embed.record.type, self.embed.record.id)
        self.forget_match(tenant_id)
        return self.match(tenant_id)

    def _no_connection_notice(self) -> Notice:
        """Never connected: not set up yet. Connected once and then removed by an admin: ask an admin."""
        installation = self.db.installations.get(self.account_id)
        if installation is not None and installation.xero_was_removed:
            return Notice(Problem.NOT_CONNECTED, N_("Xero isn't connected; ask an admin."))
        return Notice(Problem.NOT_SET_UP, N_("Xero isn't set up yet."))

    def _forget_miss(self, tenant_id: str) -> None:
        cached = _MATCH.get(self.cache, self._match_key(tenant_id))
        if cached is not None and not cached.found:
            self.forget_match(tenant_id)

    def _invoices_page(self, query: PanelQuery, connection: ConnectionInfo, found: ContactMatch, *, force: bool,
                       stale_ok: bool = False, retried: bool = False) -> PanelPage:
        tenant_id = connection.tenant_id
        notice: Notice | None = None
        current = True
        confirmed_at = None  # "Updated": when the data was last confirmed current (its fetch, or a later sweep)
        try:
            loaded = self.store.read(tenant_id, found.contact_id, force=force, stale_ok=stale_ok,
                                     read_ahead=self._read_ahead(tenant_id, found.contact_id))
            snapshot: Snapshot | None = loaded.snapshot
            current = loaded.current
            confirmed_at = loaded.confirmed_at
            # A view that fetched from Xero anyway also checks the organisation's directory (refreshed every 15
            # minutes, at once on a CONTACT webhook): a contact archived or deleted since is matched again. A warm
            # view reads neither (a warm render reads one stamp, not the directory).
            if not retried and loaded.fetched and self._gone_from_directory(tenant_id, found):
                raise ContactGone(found.contact_id)
        except NotFound as error:  # Xero says the contact is gone: match again on this view (once)
            if not retried and found.method is not MatchMethod.LINKED:
                raise ContactGone(found.contact_id) from error
            notice = self._notice_for(error)
            snapshot = self.store.peek(tenant_id, found.contact_id)
        except XeroError as error:
            notice = self._notice_for(error)
            snapshot = self.store.peek(tenant_id, found.contact_id)
        if snapshot is None:
            return problem_only(query, notice or Notice(Problem.UNAVAILABLE, XeroUnavailable.user_message), found)
        short_code = self.short_code(connection)
        built = build_panel(
            snapshot.invoices,
            query,
            today=self.reps_today(),
            pinned_ids=self.pinned_ids(tenant_id),
            link_for=lambda invoice: deep_link(self.deep_link_base, short_code, invoice),
            fetched_at=confirmed_at or snapshot.fetched_at,
            match=found,
            notice=notice,
            stale=notice is not None,
            base_currency=connection.base_currency,
            unreadable=snapshot.unreadable,
            facts=snapshot.facts,
        )
        if stale_ok and notice is None and not current:
            built = replace(built, refreshing=True)
        return built

    def _notice_for(self, error: XeroError) -> Notice:
        # Error texts name the call and status, never a token; the rep sees only user_message. Xero's
        # correlation id is in the line so support can quote it to Xero.
        record = self.embed.record
        log.warning("panel for account %s, %s %s: %s: %s%s", self.account_id, record.type, record.id,
                    type(error).__name__, error, correlation_note(error), extra=log_extra(error))
        if isinstance(error, NotConnected):
            return Notice(Problem.NOT_SET_UP, error.user_message)
        if isinstance(error, ConnectionRevoked):
            self.db.connections.mark_needs_reconnect(self.account_id, str(error)[:200])
            return Notice(Problem.NEEDS_RECONNECT, error.user_message)
        if isinstance(error, RateLimited):
            metrics.refused_view(error.problem)
            notice = self._rate_limit_notice(error)
        elif isinstance(error, XeroUnavailable):
            notice = Notice(Problem.UNAVAILABLE, error.user_message)
        else:
            notice = Notice(Problem.XERO_ERROR, error.user_message)
        self._remember_problem(notice.message)
        return notice

    def _rate_limit_notice(self, error: RateLimited) -> Notice:
        """Every panel of the organisation counts down to the same instant, kept in the shared cache: Xero's own
        Retry-After when Xero refused (it wins over our estimate), else the first estimate of our budget's."""
        connection = self.connection()
        if isinstance(error, SlotsHeldBySlowCalls) or connection is None or error.problem == "concurrent":
            return Notice(Problem.RATE_LIMITED, error.user_message, retry_after=error.retry_after)
        now = self.clock.now().timestamp()
        key = f"rate-limit:{connection.tenant_id}:{error.problem or 'unknown'}"
        held = self.cache.get(key)
        from_xero = not isinstance(error, BudgetRefused)
        if not from_xero and isinstance(held, list | tuple) and held[0] > now:
            until = float(held[0])
        else:
            until = now + error.retry_after
            self.cache.set(key, [until, from_xero], timeout=max(1, math.ceil(until - now)) + 1)
        retry_after = max(1, math.ceil(until - now))
        return Notice(Problem.RATE_LIMITED, RateLimited(retry_after, error.problem).user_message,
                      retry_after=retry_after)

    def _remember_problem(self, message: str) -> None:
        """The last problem reps saw, with its time, for the admin's diagnostics (connections.record_error). The
        same words within a minute are not written again, so a storm of refused views is not a storm of writes."""
        connection = self.connection()
        seen = connection.last_error_at if connection is not None and connection.last_error == message else None
        if seen is not None and (self.clock.now() - seen).total_seconds() < 60:
            return
        try:
            self.db.connections.record_error(self.account_id, message[:200])
        except Exception:  # diagnostics must never cost the rep the panel
            log.warning("could not record the last problem for account %s", self.account_id, exc_info=True)

    # --- Small things the views need ----------------------------------------------------------

    def toggle_pin(self, invoice_id: str, *, pinned: bool | None = None) -> bool:
        """Set the pin to `pinned` (idempotent), or flip it when no state is given; returns whether it is pinned.

        Only invoices of this record's customer can be pinned (the ids in the cached snapshot of its matched
        contact: what the rep is looking at), and at most MAX_PINS per record; PinRefused otherwise.
        Unpinning is always allowed."""
        connection = self.connection()
        if connection is None or not connection.tenant_id:
            return False
        pins, record, tenant_id = self.db.pins, self.embed.record, connection.tenant_id
        current = pins.invoice_ids(self.account_id, record, tenant_id)
        wanted = invoice_id not in current if pinned is None else pinned
        if wanted and invoice_id not in current:
            self._check_pinnable(tenant_id, invoice_id, already=len(current))
        pins.set_pinned(self.account_id, record, tenant_id, invoice_id, wanted, pinned_by=self.embed.user.id)
        return wanted

    def _check_pinnable(self, tenant_id: str, invoice_id: str, *, already: int) -> None:
        if already >= MAX_PINS:
            raise PinRefused(N_("This record has %(most)d pinned invoices, the most a record can hold. "
                                "Unpin one to pin another.", most=MAX_PINS))
        found = _MATCH.get(self.cache, self._match_key(tenant_id))
        snapshot = self.store.peek(tenant_id, found.contact_id) if found is not None and found.found else None
        if snapshot is None or all(invoice.invoice_id != invoice_id for invoice in snapshot.invoices):
            raise PinRefused(NOT_THIS_CUSTOMERS)

    def link(self, contact_id: str, contact_name: str) -> None:
        connection = self.connection()
        if connection is None:
            return
        self.db.contact_links.set(
            self.account_id, self.embed.record, connection.tenant_id, contact_id,
            contact_name=contact_name, linked_by=self.embed.user.id,
        )
        self.forget_match(connection.tenant_id)

    def unlink(self) -> None:
        connection = self.connection()
        if connection is None:
            return
        self.db.contact_links.clear(self.account_id, self.embed.record, connection.tenant_id)
        self.forget_match(connection.tenant_id)

    # --- Quick actions on one invoice (payment link, PDF) ---------------------------------------------------------

    def owned_invoice(self, invoice_id: str) -> Invoice | None:
        """The invoice, if it is one of this record's matched customer's, as the cached snapshot says; None otherwise.

        An id from the rep's browser is never passed to Xero before this check: a rep can only act on invoices the
        panel has shown for this record. Costs no Xero call when the record's match is cached (it is once the panel
        has been shown)."""
        connection = self.connection()
        if (connection is None or not connection.tenant_id or connection.status == STATUS_PENDING
                or connection.needs_reconnect):
            return None
        try:
            found = self.match(connection.tenant_id)
        except XeroError:
            return None
        if not found.found:
            return None
        snapshot = self.store.peek(connection.tenant_id, found.contact_id)
        if snapshot is None:
            return None
        return next((invoice for invoice in snapshot.invoices
                     if invoice.invoice_id == invoice_id and invoice.contact_id == found.contact_id), None)

    def payment_link(self, invoice: Invoice) -> str:
        """Xero's online invoice URL for an owned, approved sales invoice: asked of Xero once (one call, through the
        rate budget), then kept; Xero's URL for an invoice does not change. Raises XeroError."""
        connection = self.connection()
        assert connection is not None
        key = f"online-invoice:{connection.tenant_id}:{invoice.invoice_id}"
        url = self.cache.get(key)
        if url is None:
            url = self.client().online_invoice_url(invoice.invoice_id)
            self.cache.set(key, url, timeout=ONLINE_INVOICE_TTL)
        return url

    # --- The rep's last chosen view --------------------------------------------------------------

    def _view_key(self) -> str:
        return f"last-view:{self.account_id}:{self.embed.user.id}"

    def remembered_view(self) -> View:
        return View.parse(self._stored_view())

    def remember_view(self, view: View) -> None:
        if self._view_read is None:
            # Nothing read yet (the request named its view): written in the round trip that reads the match.
            self._read_view_and_match(write=view.value)
        elif self._view_read[0] != view.value:
            self.cache.set(self._view_key(), view.value, timeout=0)
            self._view_read = (view.value,)

    def _stored_view(self) -> str | None:
        """The cached value, read once per request (remembered_view and remember_view both need it)."""
        if self._view_read is None:
            self._read_view_and_match()
        return self._view_read[0]  # type: ignore[index]

    def _read_view_and_match(self, write: str | None = None) -> None:
        """The stored view and the record's stored match (the page needs it next) in one round trip; with `write`,
        the view is then set to it in that same round trip (a Redis pipeline). Where this worker has matched the
        record before, the stamps of that contact's invoices come in the same round trip too (used only if the
        match read names the same contact): a warm view is then one round trip to Redis."""
        connection = self.connection()
        tenant_id = connection.tenant_id if connection is not None else ""
        keys = [self._view_key()]
        if tenant_id:
            keys.append(self._match_key(tenant_id))
            hinted = self.recent_matches.get(keys[1])
            if hinted is not None:
                keys.extend(self.store.read_keys(tenant_id, hinted))
        if write is None:
            values = self.cache.get_many(*keys)
        else:
            values = shared_cache.get_many_then_set(self.cache, keys, self._view_key(), write, timeout=0)
        self._view_read = (values[0] if write is None else write,)
        self._read_with_view = dict(zip(keys[1:], values[1:], strict=True))

