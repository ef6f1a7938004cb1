"""The panel's rules about invoices, as pure functions over the models in plugin.domain.models.

Nothing here talks to Xero, Flask or the clock: "today" is always passed in, so every rule can be
tested with a table of invoices and a date.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from plugin.domain.models import CreditKind, Invoice, InvoiceStatus, InvoiceType, Payment
from plugin.domain.money import Money
from plugin.domain.text import N_, Nn_

NEVER_LISTED = frozenset({InvoiceStatus.DELETED, InvoiceStatus.VOIDED})
NOT_YET_ISSUED = frozenset({InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED})


_VIEW_LABELS = {"paid": N_("Paid"), "unpaid": N_("Unpaid"), "open": N_("Open"), "overdue": N_("Overdue"),
                "pinned": N_("Pinned")}


class View(StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"
    OPEN = "open"
    OVERDUE = "overdue"
    PINNED = "pinned"

    @property
    def label(self) -> str:
        """The tab's name, marked for the catalogs (the web layer translates it)."""
        return _VIEW_LABELS[self.value]

    @classmethod
    def parse(cls, value: str | None, default: View | None = None) -> View:
        """The view named by a request parameter; unknown or empty names give the default (Open)."""
        return cls.named(value) or default or DEFAULT_VIEW

    @classmethod
    def named(cls, value: str | None) -> View | None:
        """The view a request parameter names, or None for an unknown or empty name."""
        try:
            return cls((value or "").strip().lower())
        except ValueError:
            return None


DEFAULT_VIEW = View.OPEN


class StatusKind(StrEnum):
    PAID = "paid"
    OPEN = "open"
    OVERDUE = "overdue"
    DRAFT = "draft"


STATUS_WORDS = {"paid": N_("Paid"), "open": N_("Open"), "overdue": N_("Overdue"), "draft": N_("Draft")}


@dataclass(frozen=True, slots=True)
class DisplayStatus:
    """What the status column says. `kind` picks the icon; the words alone carry the meaning."""

    kind: StatusKind
    partially_paid: bool = False
    payment_count: int = 0
    awaiting_approval: bool = False  # a draft submitted for approval (Xero's SUBMITTED)

    @property
    def label(self) -> str:
        if self.awaiting_approval:
            return N_("Awaiting approval")
        if self.kind is StatusKind.OPEN and self.partially_paid:
            return N_("Partially paid")
        if self.kind is StatusKind.OVERDUE and self.partially_paid:
            return N_("Overdue, partially paid")
        return STATUS_WORDS[self.kind.value]

    @property
    def payments_label(self) -> str:
        """ "2 payments", or "" when there are none."""
        if not self.payment_count:
            return ""
        return Nn_("%(num)d payment", "%(num)d payments", self.payment_count)

    @property
    def text(self) -> str:
        """The full words, e.g. "Partially paid, 2 payments"."""
        return ", ".join(part for part in (self.label, self.payments_label) if part)


@dataclass(frozen=True, slots=True)
class Instalment:
    """One payment as the payments popover lists it: "1 of 3", date, amount, reference."""

    number: int
    of: int
    date: date
    amount: Money
    reference: str


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """Totals for one currency. Amounts in different currencies are never added together."""

    currency: str
    paid: Money
    unpaid: Money
    credited: Money


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive bounds on the invoice date; None means open-ended."""

    start: date | None = None
    end: date | None = None

    @property
    def is_set(self) -> bool:
        return self.start is not None or self.end is not None

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class DateFilter:
    """A date range read from the form, with the message to show when the input made no sense."""

    range: DateRange
    message: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    """What one view of one record shows: its rows (all of them; the template pages) and the tab counts."""

    view: View
    rows: tuple[Invoice, ...]
    counts: dict[View, int]


# --- Single invoices ---------------------------------------------------------------------------


def is_listed(invoice: Invoice) -> bool:
    return invoice.status not in NEVER_LISTED


def counts_in_totals(invoice: Invoice) -> bool:
    """Only issued sales invoices count: drafts are not owed yet, bills are what we owe them."""
    return (
        is_listed(invoice)
        and invoice.status not in NOT_YET_ISSUED
        and invoice.type is InvoiceType.ACCREC
    )


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Owed, and its due date has passed (an invoice due today is not overdue yet)."""
    return invoice.balance.amount > 0 and invoice.due_date is not None and invoice.due_date < today


def in_view(invoice: Invoice, view: View, today: date, pinned_ids: Collection[str] = ()) -> bool:
    """A draft or one awaiting approval hasn't reached the customer, so it can't be open or overdue for them:
    it shows only under Unpaid (and Pinned)."""
    owed = invoice.balance.amount > 0
    if view is View.PAID:
        return not owed and invoice.status is InvoiceStatus.PAID
    if view is View.UNPAID:
        return owed
    sent = invoice.status not in NOT_YET_ISSUED
    if view is View.OPEN:
        return sent and owed and not is_overdue(invoice, today)
    if view is View.OVERDUE:
        return sent and is_overdue(invoice, today)
    return invoice.invoice_id in pinned_ids


def display_status(invoice: Invoice, today: date) -> DisplayStatus:
    count = len(invoice.payments)
    if invoice.status in NOT_YET_ISSUED:
        return DisplayStatus(StatusKind.DRAFT, payment_count=count,
                             awaiting_approval=invoice.status is InvoiceStatus.SUBMITTED)
    if invoice.balance.amount <= 0:
        return DisplayStatus(StatusKind.PAID, payment_count=count)
    partially_paid = invoice.amount_paid.amount > 0 or count > 0
    kind = StatusKind.OVERDUE if is_overdue(invoice, today) else StatusKind.OPEN
    return DisplayStatus(kind, partially_paid=partially_paid, payment_count=count)


def instalments(invoice: Invoice) -> tuple[Instalment, ...]:
    """The invoice's payments oldest first, numbered "1 of N"."""
    ordered: list[Payment] = sorted(invoice.payments, key=lambda payment: (payment.date, payment.payment_id))
    return tuple(
        Instalment(number, len(ordered), payment.date, payment.amount, payment.reference)
        for number, payment in enumerate(ordered, start=1)
    )


def matches_number(invoice: Invoice, query: str) -> bool:
    """Partial, case-insensitive match on the invoice number; an empty query matches everything."""
    needle = normalise_query(query)
    return not needle or needle in normalise_query(invoice.invoice_number)


def normalise_query(query: str | None) -> str:
    """Case-folded, with runs of white space made one space, so typing "inv  0042 " still finds "INV 0042"."""
    return " ".join((query or "").split()).casefold()


# --- Lists of invoices -------------------------------------------------------------------------


def newest_first(invoices: Iterable[Invoice]) -> list[Invoice]:
    """Newest invoice date first; the number breaks ties so the order never flickers between renders."""
    return sorted(invoices, key=lambda invoice: (invoice.date, invoice.invoice_number), reverse=True)


def listed(invoices: Iterable[Invoice]) -> list[Invoice]:
    """The invoices the panel may show at all, newest first."""
    return newest_first(invoice for invoice in invoices if is_listed(invoice))


def filter_invoices(invoices: Iterable[Invoice], *, query: str = "", dates: DateRange = DateRange()) -> list[Invoice]:
    return [invoice for invoice in invoices if matches_number(invoice, query) and dates.contains(invoice.date)]


def count_views(invoices: Sequence[Invoice], today: date, pinned_ids: Collection[str] = ()) -> dict[View, int]:
    return {view: sum(1 for invoice in invoices if in_view(invoice, view, today, pinned_ids)) for view in View}


def select(
    invoices: Iterable[Invoice],
    *,
    view: View,
    today: date,
    pinned_ids: Collection[str] = (),
    query: str = "",
    dates: DateRange = DateRange(),
) -> Selection:
    """Rows of one view after search and date filter, newest first, with every view's count.

    The counts follow the search and date filter too, so each tab says how many matches it holds.
    """
    matching = filter_invoices(listed(invoices), query=query, dates=dates)
    rows = tuple(invoice for invoice in matching if in_view(invoice, view, today, pinned_ids))
    return Selection(view=view, rows=rows, counts=count_views(matching, today, pinned_ids))


def totals(invoices: Iterable[Invoice]) -> tuple[CurrencyTotals, ...]:
    """Paid, unpaid and applied credit per currency, over issued sales invoices, sorted by currency code.

    Each sum stays in its own currency; Money raises CurrencyMismatch if that were ever broken.
    """
    sums: dict[str, CurrencyTotals] = {}
    for invoice in invoices:
        if not counts_in_totals(invoice):
            continue
        current = sums.get(invoice.currency) or _zero_totals(invoice.currency)
        sums[invoice.currency] = CurrencyTotals(
            currency=invoice.currency,
            paid=current.paid + invoice.amount_paid,
            unpaid=current.unpaid + _owed(invoice),
            credited=current.credited + invoice.amount_credited,
        )
    return tuple(sums[currency] for currency in sorted(sums))


def _owed(invoice: Invoice) -> Money:
    return invoice.balance if invoice.balance.amount > 0 else Money.zero(invoice.balance.currency)


def _zero_totals(currency: str) -> CurrencyTotals:
    zero = Money.zero(currency)
    return CurrencyTotals(currency, zero, zero, zero)


def has_credit(all_totals: Iterable[CurrencyTotals]) -> bool:
    return any(not entry.credited.is_zero for entry in all_totals)


# --- Ageing, days overdue and credit explanations ------------------------------------------------
#
# All judged on the rep's own calendar day (`today`, as PanelLoader.reps_today gives it): Xero's due dates are
# calendar dates, so an invoice due on the rep's today is "due today", never overdue.


class AgeBucket(StrEnum):
    """How long an owed invoice is past its due date. CURRENT: not due yet, or due today."""

    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "90+"

    @property
    def label(self) -> str:
        return {"current": N_("Current"), "1-30": N_("1\u201330 days"), "31-60": N_("31\u201360 days"),
                "61-90": N_("61\u201390 days"), "90+": N_("Over 90 days")}[self.value]

    @property
    def short_label(self) -> str:
        return {"current": N_("Current"), "1-30": "1\u201330", "31-60": "31\u201360", "61-90": "61\u201390",
                "90+": "90+"}[self.value]

    @classmethod
    def of_days(cls, days_late: int) -> AgeBucket:
        """The bucket for an invoice `days_late` days past due (0 or less: current)."""
        if days_late <= 0:
            return cls.CURRENT
        if days_late <= 30:
            return cls.DAYS_1_30
        if days_late <= 60:
            return cls.DAYS_31_60
        if days_late <= 90:
            return cls.DAYS_61_90
        return cls.OVER_90

    @classmethod
    def parse(cls, value: str | None) -> AgeBucket | None:
        try:
            return cls((value or "").strip())
        except ValueError:
            return None


def days_overdue(invoice: Invoice, today: date) -> int:
    """Whole days past the due date on the rep's calendar (0 when not overdue: not owed, no due date, due today
    or later). Due yesterday is 1 day overdue."""
    if not is_overdue(invoice, today):
        return 0
    assert invoice.due_date is not None
    return (today - invoice.due_date).days


def is_aged(invoice: Invoice) -> bool:
    """Counted in the ageing: an issued sales invoice with something still owed."""
    return counts_in_totals(invoice) and invoice.balance.amount > 0


def age_bucket(invoice: Invoice, today: date) -> AgeBucket:
    return AgeBucket.of_days(days_overdue(invoice, today))


class DueKind(StrEnum):
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"  # due in the future
    NONE = "none"  # nothing owed, not sent yet, or no due date


@dataclass(frozen=True, slots=True)
class DueNote:
    """What a row says about its due date: "12 days overdue", "Due today", "Due in 5 days"."""

    kind: DueKind
    days: int = 0

    @property
    def text(self) -> str:
        if self.kind is DueKind.OVERDUE:
            return Nn_("%(num)d day overdue", "%(num)d days overdue", self.days)
        if self.kind is DueKind.DUE_TODAY:
            return N_("Due today")
        if self.kind is DueKind.DUE_SOON:
            return N_("Due tomorrow") if self.days == 1 else Nn_("Due in %(num)d day", "Due in %(num)d days", self.days)
        return ""


NO_DUE_NOTE = DueNote(DueKind.NONE)


def due_note(invoice: Invoice, today: date) -> DueNote:
    """How an owed, sent invoice stands against its due date on the rep's `today`; drafts and paid ones say nothing."""
    if invoice.balance.amount <= 0 or invoice.due_date is None or invoice.status in NOT_YET_ISSUED:
        return NO_DUE_NOTE
    days = (invoice.due_date - today).days
    if days < 0:
        return DueNote(DueKind.OVERDUE, -days)
    if days == 0:
        return DueNote(DueKind.DUE_TODAY)
    return DueNote(DueKind.DUE_SOON, days)


@dataclass(frozen=True, slots=True)
class BucketTotal:
    bucket: AgeBucket
    amount: Money
    count: int


@dataclass(frozen=True, slots=True)
class CurrencyAgeing:
    """What one customer owes in one currency, and how late it is. Never mixes currencies."""

    currency: str
    owed: Money
    owed_count: int
    overdue: Money
    overdue_count: int
    oldest_days: int  # of the most overdue invoice; 0 when none is overdue
    buckets: tuple[BucketTotal, ...]  # one per AgeBucket, in order

    def share(self, bucket: BucketTotal) -> float:
        """The bucket's share of what is owed, 0 to 1 (for drawing the bar)."""
        return float(bucket.amount.amount / self.owed.amount) if self.owed.amount > 0 else 0.0


def ageing(invoices: Iterable[Invoice], today: date) -> tuple[CurrencyAgeing, ...]:
    """Per currency (sorted by code): owed and overdue amounts and counts, the oldest overdue in days, and the
    five buckets. Only issued sales invoices with a balance count (no drafts, bills, voided or deleted)."""
    sums: dict[str, dict[AgeBucket, tuple[Money, int]]] = {}
    oldest: dict[str, int] = {}
    for invoice in invoices:
        if not is_aged(invoice):
            continue
        late = days_overdue(invoice, today)
        bucket = AgeBucket.of_days(late)
        per = sums.setdefault(invoice.currency, {})
        amount, count = per.get(bucket, (Money.zero(invoice.currency), 0))
        per[bucket] = (amount + invoice.balance, count + 1)
        oldest[invoice.currency] = max(oldest.get(invoice.currency, 0), late)
    result = []
    for currency in sorted(sums):
        per = sums[currency]
        zero = Money.zero(currency)
        buckets = tuple(BucketTotal(b, *per.get(b, (zero, 0))) for b in AgeBucket)
        late = [entry for entry in buckets if entry.bucket is not AgeBucket.CURRENT]
        owed = sum((entry.amount for entry in buckets), zero)
        overdue = sum((entry.amount for entry in late), zero)
        result.append(CurrencyAgeing(currency, owed, sum(entry.count for entry in buckets), overdue,
                                     sum(entry.count for entry in late), oldest[currency], buckets))
    return tuple(result)


def in_bucket(invoice: Invoice, bucket: AgeBucket, today: date, currency: str = "") -> bool:
    """In the ageing, in this bucket (and this currency, when one is given)."""
    return (is_aged(invoice) and age_bucket(invoice, today) is bucket
            and (not currency or invoice.currency == currency))


def headline(invoice: Invoice) -> Money:
    """The amount a row leads with: what is still owed, or for a settled invoice its total (never a bold $0.00)."""
    return invoice.balance if invoice.balance.amount > 0 else invoice.total


CREDIT_WORDS = {CreditKind.CREDIT_NOTE: N_("Credit note"), CreditKind.OVERPAYMENT: N_("Overpayment"),
                CreditKind.PREPAYMENT: N_("Prepayment")}


@dataclass(frozen=True, slots=True)
class CreditNote:
    """One line explaining why a balance is lower than total minus payments: "Credit note CN-0012 -$200.00"."""

    kind: CreditKind | None  # None: Xero says credit was applied but sent no allocation
    number: str
    applied: Money

    @property
    def words(self) -> str:
        if self.kind is None:
            return N_("Credit applied")
        name = CREDIT_WORDS[self.kind]
        if not self.number:
            return name
        if self.kind is CreditKind.CREDIT_NOTE:
            return N_("Credit note %(number)s", number=self.number)
        if self.kind is CreditKind.OVERPAYMENT:
            return N_("Overpayment %(number)s", number=self.number)
        return N_("Prepayment %(number)s", number=self.number)


def credit_notes(invoice: Invoice) -> tuple[CreditNote, ...]:
    """Each credit note, overpayment and prepayment applied to the invoice, largest first; when Xero reports
    AmountCredited without the allocations, one line for the unexplained rest."""
    listed = sorted(invoice.credits, key=lambda credit: (-credit.applied.amount, credit.number))
    notes = [CreditNote(credit.kind, credit.number, credit.applied) for credit in listed
             if credit.applied.currency == invoice.currency and credit.applied.amount > 0]
    explained = sum((note.applied.amount for note in notes), Decimal(0))
    rest = invoice.amount_credited.amount - explained
    if rest > 0:
        notes.append(CreditNote(None, "", Money(rest, invoice.currency)))
    return tuple(notes)


def listed_sums(invoices: Iterable[Invoice]) -> tuple[Money, ...]:
    """What a filtered list adds up to, per currency: each sales invoice's headline amount (bills left out)."""
    sums: dict[str, Money] = {}
    for invoice in invoices:
        if invoice.is_bill:
            continue
        amount = headline(invoice)
        sums[invoice.currency] = sums.get(invoice.currency, Money.zero(invoice.currency)) + amount
    return tuple(sums[currency] for currency in sorted(sums))


SHOWN_ONLINE = frozenset({InvoiceStatus.AUTHORISED, InvoiceStatus.PAID})


def has_online_invoice(invoice: Invoice) -> bool:
    """Xero shows sales invoices online once approved: AUTHORISED or PAID ACCREC (not drafts, bills or voided)."""
    return invoice.type is InvoiceType.ACCREC and invoice.status in SHOWN_ONLINE


# --- Form input ---------------------------------------------------------------------------------


def parse_date_filter(start: str | None, end: str | None) -> DateFilter:
    """Read the start/end fields (YYYY-MM-DD, as <input type=date> sends them).

    A field that is not a date, or an end before the start, leaves the list unfiltered and says why.
    """
    try:
        start_day = _parse_day(start)
        end_day = _parse_day(end)
    except ValueError:
        return DateFilter(DateRange(), N_("Enter dates as YYYY-MM-DD, for example 2026-03-01."))
    if start_day and end_day and end_day < start_day:
        return DateFilter(DateRange(),
                          N_("The end date is before the start date. Pick an end date on or after the start."))
    return DateFilter(DateRange(start_day, end_day))


def _parse_day(value: str | None) -> date | None:
    text = (value or "").strip()
    return date.fromisoformat(text) if text else None
