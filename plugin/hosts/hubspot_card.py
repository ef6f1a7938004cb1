"""The HubSpot card's JSON: the matched Xero customer, owed and overdue per currency, the ageing buckets and the
five most urgent invoices with deep links, for one record, as the card renders it natively in HubSpot.

It reads Xero the way the panel does, through the same shared pieces (services(): the connection, the invoice cache
with its single flight and webhook changes, the customer directory, the stored links), and keeps its match under the
panel's cache key, so a customer linked or unlinked in the panel is what the card shows next. "Past due" is judged
on the rep's calendar day (the card sends HubSpot's time zone for the portal).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from typing import Any

from flask import current_app

from plugin.domain import ageing as rules
from plugin.domain.matching import ContactMatch, MatchInput, RecordKey, find_contact
from plugin.domain.models import Invoice
from plugin.domain.money import Money
from plugin.domain.text import N_, Nn_
from plugin.embed.context import EmbedContext
from plugin.runtime.encoding import Typed
from plugin.runtime.invoices import MATCH_TTL
from plugin.runtime.tokens import NotConnected
from plugin.services import services
from plugin.settings import xero_endpoints
from plugin.storage import STATUS_PENDING
from plugin.web.formatting import day, money, user_timezone
from plugin.web.i18n import translate
from plugin.xero.errors import ConnectionRevoked, XeroError
from plugin.xero.links import deep_link

log = logging.getLogger(__name__)

_MATCH: Typed[ContactMatch] = Typed(ContactMatch)  # the panel's match entry, read and written the same way

# Every fixed word the card shows (XeroInvoicesCard.jsx reads them from the JSON's `labels`, falling back to English
# only before the server has answered). Where the panel says the same, the msgid is the panel's.
LABELS = {
    "title": N_("Xero invoices"),
    "unavailable": N_("Xero invoices can't be shown right now. Try again in a minute."),
    "open_panel": N_("Open full panel"),
    "set_up_xero": N_("Set up Xero"),
    "nothing_owed": N_("Nothing owed."),
    "ageing": N_("Ageing"),
    "most_urgent": N_("Most urgent"),
    "no_unpaid": N_("No unpaid invoices."),
    "invoice": N_("Invoice"),
    "due": N_("Due"),
    "owed": N_("Owed"),
    "tried": N_("What we tried:"),
}


def card_labels() -> dict[str, str]:
    """LABELS in the request's language (the locale HubSpot signed, else the browser's)."""
    return {key: translate(words) for key, words in LABELS.items()}


def card_data(embed: EmbedContext) -> dict[str, Any]:
    """What the card shows for `embed`'s record: `state` is `ok`, or a state with a plain-words `message` (and, when
    no customer matched, what was `tried`), in the request's language."""
    shared = services()
    connection = shared.database.connections.recent(embed.account_id)
    if connection is None:
        installation = shared.database.installations.get(embed.account_id)
        removed = installation is not None and installation.xero_was_removed
        return _state("not_connected" if removed else "not_set_up",
                      N_("Xero isn't connected; ask an admin.") if removed else N_("Xero isn't set up yet."))
    if not connection.tenant_id or connection.status == STATUS_PENDING:
        return _state("not_set_up", N_("Xero isn't set up yet."))
    if connection.needs_reconnect:
        return _state("needs_reconnect", N_("The Xero connection needs renewing."))
    tenant_id = connection.tenant_id
    client = _client_for(embed.account_id)
    try:
        found = _match(embed, tenant_id, client)
        if not found.found:
            several = bool(found.candidates)
            return _state("no_match", N_("More than one Xero customer could be this one.") if several
                          else N_("We couldn't tell which Xero customer this is."),
                          tried=[translate(step) for step in found.tried_words])
        snapshot = shared.invoices(client).load_invoices(tenant_id, found.contact_id, stale_ok=True)
    except XeroError as error:
        log.warning("hubspot card for account %s, %s %s: %s: %s", embed.account_id, embed.record.type,
                    embed.record.id, type(error).__name__, error)
        if isinstance(error, ConnectionRevoked):
            shared.database.connections.mark_needs_reconnect(embed.account_id, str(error)[:200])
            return _state("needs_reconnect", error.user_message)
        if isinstance(error, NotConnected):
            return _state("not_set_up", error.user_message)
        return _state("unavailable", error.user_message)
    short_code = connection.short_code or ""
    base = xero_endpoints(current_app.config).deep_link_base
    today = shared.clock.now().astimezone(user_timezone(embed.user.timezone)).date()
    return summary(snapshot.invoices, today=today, locale=embed.user.locale, customer=found,
                   link_for=lambda invoice: deep_link(base, short_code, invoice),
                   fetched_at=snapshot.fetched_at.isoformat())


def summary(invoices: tuple[Invoice, ...] | list[Invoice], *, today: date, locale: str, customer: ContactMatch,
            link_for: Any, fetched_at: str = "") -> dict[str, Any]:
    """The `ok` card from plain inputs (tests call it without Flask). Its words are in the request's language (English
    without one); amounts and dates are formatted for `locale`."""
    def amount(value: Money) -> dict[str, str]:
        return {"amount": f"{value.amount:.2f}", "currency": value.currency, "text": money(value, locale)}

    def urgent(invoice: Invoice) -> dict[str, Any]:
        days = rules.days_past_due(invoice, today)
        return {
            "id": invoice.invoice_id,
            "number": invoice.invoice_number or translate(N_("(no number)")),
            "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
            "due_text": day(invoice.due_date, locale),
            "days_past_due": days,
            "late_text": translate(Nn_("%(num)d day overdue", "%(num)d days overdue", days)) if days > 0 else "",
            "amount_due": amount(invoice.balance),
            "link": link_for(invoice),
        }

    per_currency = rules.ageing(invoices, today)
    return {
        "state": "ok",
        "customer": {"id": customer.contact_id, "name": customer.contact_name, "matched_by": str(customer.method)},
        "today": today.isoformat(),
        "totals": [{"currency": entry.currency, "owed": amount(entry.owed), "overdue": amount(entry.overdue),
                    "labels": {"owed": translate(N_("Owed (%(currency)s)", currency=entry.currency)),
                               "overdue": translate(N_("Overdue (%(currency)s)", currency=entry.currency))}}
                   for entry in per_currency],
        "ageing": {
            "buckets": [{"key": key, "label": translate(label)} for key, label, _ in rules.BUCKETS],
            "currencies": [{"currency": entry.currency, "amounts": [amount(value) for value in entry.buckets]}
                           for entry in per_currency],
        },
        "urgent": [urgent(invoice) for invoice in rules.most_urgent(invoices, today)],
        "fetched_at": fetched_at,
    }


def _state(state: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"state": state, "message": translate(message), **extra}


def _client_for(account_id: str) -> Any:
    built: list[Any] = []

    def client() -> Any:
        if not built:
            built.append(services().xero_client(account_id))
        return built[0]
    return client


def _match(embed: EmbedContext, tenant_id: str, client: Any) -> ContactMatch:
    """The record's Xero customer, under the panel's cache key (a link made in the panel counts at once)."""
    shared, record = services(), embed.record
    key = f"match:{embed.account_id}:{tenant_id}:{record.type}:{record.id}"
    hit = _MATCH.get(shared.cache, key)
    if hit is not None:
        return hit

    def linked(found: RecordKey) -> tuple[str, str] | None:
        link = shared.database.contact_links.get(embed.account_id, found, tenant_id)
        return (link.contact_id, link.contact_name) if link else None

    def directory() -> Any:
        try:
            return shared.directories.get(tenant_id, client)
        except XeroError:
            return None

    found = replace(find_contact(_match_input(embed), linked=linked,
                                 search=lambda text: client().contacts(search_term=text), directory=directory),
                    tenant_id=tenant_id)
    ttl = max(int(float(current_app.config.get("CACHE_TTL", 60))), 1)
    _MATCH.set(shared.cache, key, found, timeout=MATCH_TTL if found.found else ttl)
    return found


def _match_input(embed: EmbedContext) -> MatchInput:
    record = embed.record
    records = [RecordKey(record.type, record.id)]
    email, company = record.email, record.company
    if record.type == "deal":
        records += [RecordKey(kind, linked.id) for kind, linked in (("contact", record.contact),
                                                                    ("account", record.account)) if linked]
        email = email or (record.contact.email if record.contact else "")
        company = company or (record.account.name if record.account else "")
    is_account = record.type == "account" or (record.type == "deal" and record.account is not None)
    return MatchInput(tuple(records), email=email, company=company, is_account=is_account)
