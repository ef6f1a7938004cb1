"""What a customer owes at a glance (the HubSpot card's summary): owed and overdue per currency, the ageing buckets,
and the most urgent invoices. Pure functions over the models; "today" is the rep's own calendar day, passed in.

Only what counts in the panel's totals counts here (issued sales invoices, plugin.domain.invoices.counts_in_totals)
with something still owed. Each currency keeps its own sums: amounts in different currencies are never added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from plugin.domain.invoices import counts_in_totals, is_overdue
from plugin.domain.models import Invoice
from plugin.domain.money import Money
from plugin.domain.text import N_

# (key, label, most days past due): current is not yet due (or due today); the last bucket is open-ended. The labels
# are marked English; the card's JSON carries them translated (plugin/hosts/hubspot_card.py).
BUCKETS: tuple[tuple[str, str, int | None], ...] = (
    ("current", N_("Current"), 0),
    ("1-30", N_("1\u201330 days past due"), 30),
    ("31-60", N_("31\u201360 days past due"), 60),
    ("61-90", N_("61\u201390 days past due"), 90),
    ("over-90", N_("Over 90 days past due"), None),
)
URGENT_LIMIT = 5


@dataclass(frozen=True, slots=True)
class CurrencyAgeing:
    currency: str
    owed: Money
    overdue: Money
    buckets: tuple[Money, ...]  # one per BUCKETS entry, same order


def owing(invoices: Iterable[Invoice]) -> list[Invoice]:
    """The invoices the customer still owes on."""
    return [invoice for invoice in invoices if counts_in_totals(invoice) and invoice.balance.amount > 0]


def days_past_due(invoice: Invoice, today: date) -> int:
    """0 when not due yet or due today (or no due date), else how many days ago it fell due."""
    if invoice.due_date is None or invoice.due_date >= today:
        return 0
    return (today - invoice.due_date).days


def bucket_index(invoice: Invoice, today: date) -> int:
    days = days_past_due(invoice, today)
    for index, (_, _, most) in enumerate(BUCKETS):
        if most is None or days <= most:
            return index
    return len(BUCKETS) - 1  # unreachable: the last bucket is open-ended


def ageing(invoices: Iterable[Invoice], today: date) -> tuple[CurrencyAgeing, ...]:
    """Owed, overdue and the ageing buckets per currency, sorted by currency code."""
    sums: dict[str, CurrencyAgeing] = {}
    for invoice in owing(invoices):
        currency = invoice.currency
        zero = Money.zero(currency)
        current = sums.get(currency) or CurrencyAgeing(currency, zero, zero, tuple(zero for _ in BUCKETS))
        index = bucket_index(invoice, today)
        buckets = tuple(amount + invoice.balance if i == index else amount for i, amount in enumerate(current.buckets))
        overdue = current.overdue + invoice.balance if is_overdue(invoice, today) else current.overdue
        sums[currency] = CurrencyAgeing(currency, current.owed + invoice.balance, overdue, buckets)
    return tuple(sums[currency] for currency in sorted(sums))


def most_urgent(invoices: Iterable[Invoice], today: date, limit: int = URGENT_LIMIT) -> list[Invoice]:
    """The owed invoices that need chasing first: longest past due (or soonest due) first; on the same due date the
    larger amount first (a tie-break by number only: nothing is converted or added across currencies)."""
    def key(invoice: Invoice) -> tuple[date, int, str]:
        due = invoice.due_date or invoice.date
        return due, -int(invoice.balance.amount * 100), invoice.invoice_number
    return sorted(owing(invoices), key=key)[:limit]
