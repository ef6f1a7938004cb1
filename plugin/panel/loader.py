"""From an embed context to a PanelPage: connection, then Xero contact, then invoices, then the page.

Every Xero failure ends here as a plain-words Notice; the panel keeps the last data it has when there is any.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from plugin.domain.clock import Clock
from plugin.domain.invoices import View
from plugin.domain.matching import ContactMatch, MatchInput, RecordKey, find_contact
from plugin.domain.models import Invoice
from plugin.embed.context import EmbedContext
from plugin.panel.model import Notice, PanelPage, PanelQuery, Problem, build_panel, problem_only
from plugin.runtime import metrics
from plugin.runtime.invoices import MATCH_TTL, InvoiceSnapshot, XeroReader
from plugin.runtime.tokens import NotConnected
from plugin.services import Services
from plugin.storage import STATUS_PENDING, ConnectionInfo
from plugin.web.formatting import user_timezone
from plugin.xero.errors import ConnectionRevoked, RateLimited, XeroError, XeroUnavailable, correlation_note, log_extra
from plugin.xero.links import deep_link

log = logging.getLogger(__name__)

ONLINE_INVOICE_TTL = 24 * 3600
NO_MATCH_MESSAGE = "We couldn't tell which Xero customer this is."
SEVERAL_MESSAGE = "More than one Xero customer could be this one."


def match_input(embed: EmbedContext) -> MatchInput:
    """The record and, for a deal, its contact and account, as matching sees them."""
    record = embed.record
    records = [RecordKey(record.type, record.id)]
    email, company = record.email, record.company or (record.name if record.type == "account" else "")
    if record.type == "deal":
        if record.contact:
            records.append(RecordKey("contact", record.contact.id))
            email = email or record.contact.email
        if record.account:
            records.append(RecordKey("account", record.account.id))
            company = company or record.account.name
    is_account = record.type == "account" or (record.type == "deal" and record.account is not None)
    return MatchInput(tuple(records), email=email, company=company, is_account=is_account)


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
        self.ttl = self.store.ttl
        self._connection: ConnectionInfo | None = None
        self._view_read: tuple[str | None] | None = None

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
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        found = replace(find_contact(match_input(self.embed), linked=self._linked(tenant_id),
                                     search=lambda text: self.client().contacts(search_term=text),
                                     directory=lambda: self._directory(tenant_id)),
                        tenant_id=tenant_id)
        self.cache.set(key, found, timeout=MATCH_TTL if found.found else max(int(self.ttl), 1))
        return found

    def _directory(self, tenant_id: str):  # type: ignore[no-untyped-def]
        """The organisation's customer directory; None when Xero can't give it now (matching then searches)."""
        try:
            return self.directories.get(tenant_id, self.client)
        except XeroError:
            return None

    def forget_match(self, tenant_id: str) -> None:
        self.cache.delete(self._match_key(tenant_id))

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

    # --- The page ----------------------------------------------------------------------------

    def page(self, query: PanelQuery, *, force: bool = False, stale_ok: bool = False) -> PanelPage:
        """The panel for `query`; Xero is called only when the cache is cold or expired, or `force`.
        `stale_ok`: expired data is shown at once, marked `refreshing` (the page then asks again without it)."""
        connection = self.connection()
        if connection is None:
            return problem_only(query, self._no_connection_notice())
        if not connection.tenant_id or connection.status == STATUS_PENDING:
            return problem_only(query, Notice(Problem.NOT_SET_UP, "Xero isn't set up yet."))
        if connection.needs_reconnect:
            return problem_only(query, Notice(Problem.NEEDS_RECONNECT, "The Xero connection needs renewing."))
        tenant_id = connection.tenant_id
        if force:
            self._forget_miss(tenant_id)
        try:
            found = self.match(tenant_id)
        except XeroError as error:
            return problem_only(query, self._notice_for(error))
        if not found.found:
            message = SEVERAL_MESSAGE if found.candidates else NO_MATCH_MESSAGE
            return problem_only(query, Notice(Problem.NO_MATCH, message), match=found)
        return self._invoices_page(query, connection, found, force=force, stale_ok=stale_ok)

    def _no_connection_notice(self) -> Notice:
        """Never connected: not set up yet. Connected once and then removed by an admin: ask an admin."""
        installation = self.db.installations.get(self.account_id)
        if installation is not None and installation.xero_was_removed:
            return Notice(Problem.NOT_CONNECTED, "Xero isn't connected; ask an admin.")
        return Notice(Problem.NOT_SET_UP, "Xero isn't set up yet.")

    def _forget_miss(self, tenant_id: str) -> None:
        cached = self.cache.get(self._match_key(tenant_id))
        if cached is not None and not cached.found:
            self.forget_match(tenant_id)

    def _invoices_page(
        self, query: PanelQuery, connection: ConnectionInfo, found: ContactMatch, *, force: bool, stale_ok: bool = False
    ) -> PanelPage:
        tenant_id = connection.tenant_id
        notice: Notice | None = None
        try:
            snapshot: InvoiceSnapshot | None = self.store.load_invoices(tenant_id, found.contact_id, force=force,
                                                                        stale_ok=stale_ok)
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
            fetched_at=snapshot.fetched_at,
            match=found,
            notice=notice,
            stale=notice is not None,
            base_currency=connection.base_currency,
            unreadable=snapshot.unreadable,
        )
        if stale_ok and notice is None and not self.store.is_current(snapshot):
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
            return Notice(Problem.RATE_LIMITED, error.user_message, retry_after=error.retry_after)
        if isinstance(error, XeroUnavailable):
            return Notice(Problem.UNAVAILABLE, error.user_message)
        self.db.connections.record_error(self.account_id, str(error)[:200])
        return Notice(Problem.XERO_ERROR, error.user_message)

    # --- Small things the views need ----------------------------------------------------------

    def toggle_pin(self, invoice_id: str, *, pinned: bool | None = None) -> bool:
        """Set the pin to `pinned` (idempotent), or flip it when no state is given; returns whether it is pinned."""
        connection = self.connection()
        if connection is None or not connection.tenant_id:
            return False
        pins, record, tenant_id = self.db.pins, self.embed.record, connection.tenant_id
        if pinned is None:
            return pins.toggle(self.account_id, record, tenant_id, invoice_id, pinned_by=self.embed.user.id)
        pins.set_pinned(self.account_id, record, tenant_id, invoice_id, pinned, pinned_by=self.embed.user.id)
        return pinned

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
        if self._stored_view() != view.value:
            self.cache.set(self._view_key(), view.value, timeout=0)
            self._view_read = (view.value,)

    def _stored_view(self) -> str | None:
        """The cached value, read once per request (remembered_view and remember_view both need it)."""
        if self._view_read is None:
            self._view_read = (self.cache.get(self._view_key()),)
        return self._view_read[0]

