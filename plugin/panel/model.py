"""What one render of the panel shows, built from plain inputs so tests can check it without Flask.

`build_panel` turns invoices, the request's choices (view, search, dates, how many rows) and the
state of the data (fresh, stale, failed) into a `PanelPage` the templates only display.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from plugin.domain import invoices as rules
from plugin.domain.facts import DayFacts, SnapshotFacts
from plugin.domain.invoices import (
    AgeBucket,
    CreditNote,
    CurrencyAgeing,
    CurrencyTotals,
    DisplayStatus,
    DueNote,
    Instalment,
    View,
)
from plugin.domain.matching import ContactMatch
from plugin.domain.models import Invoice
from plugin.domain.money import Money
from plugin.domain.text import N_, Message, Nn_
from plugin.runtime.invoices import UnreadableInvoice

PAGE_SIZE = 25
MAX_ROWS = 1000
MAX_NAMED_UNREADABLE = 5  # beyond these, the notice says how many more


@dataclass(frozen=True, slots=True)
class PanelQuery:
    """The rep's choices, read from request parameters (GET query or POST form alike)."""

    view: View = rules.DEFAULT_VIEW
    q: str = ""
    start: str = ""
    end: str = ""
    limit: int = PAGE_SIZE
    age: AgeBucket | None = None  # an ageing bucket clicked in the summary (with its currency)
    currency: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str], default_view: View = rules.DEFAULT_VIEW) -> PanelQuery:
        age = AgeBucket.parse(params.get("age"))
        currency = (params.get("cur") or "").strip().upper()[:3]
        view = View.parse(params.get("view"), default_view)
        if age is not None:  # a bucket lists owed, sent invoices: current ones are Open, the others Overdue
            view = View.OPEN if age is AgeBucket.CURRENT else View.OVERDUE
        return cls(
            view=view,
            q=(params.get("q") or "").strip()[:100],
            start=(params.get("start") or "").strip()[:10],
            end=(params.get("end") or "").strip()[:10],
            limit=_limit(params.get("limit")),
            age=age,
            currency=currency if age is not None and len(currency) == 3 and currency.isalpha() else "",
        )

    @property
    def is_filtered(self) -> bool:
        """Search or dates narrow the list (the folded filters say so)."""
        return bool(self.q or self.start or self.end)

    @property
    def is_narrowed(self) -> bool:
        """Anything beyond the view narrows the list: search, dates or an ageing bucket."""
        return self.is_filtered or self.age is not None


def _limit(value: str | None) -> int:
    try:
        number = int(value or PAGE_SIZE)
    except ValueError:
        return PAGE_SIZE
    return min(max(number, PAGE_SIZE), MAX_ROWS)


class Problem(StrEnum):
    """Why the panel can't show (all of) what was asked, in a form templates pick words for."""

    NOT_SET_UP = "not_set_up"  # never connected, or connected but not saved by an admin yet
    NOT_CONNECTED = "not_connected"  # an admin removed the connection
    NEEDS_RECONNECT = "needs_reconnect"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    NO_MATCH = "no_match"
    XERO_ERROR = "xero_error"
    LEFT_OUT = "left_out"  # some invoices could not be read; the rest are shown


@dataclass(frozen=True, slots=True)
class Notice:
    problem: Problem
    message: str
    retry_after: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    invoice: Invoice
    status: DisplayStatus
    instalments: tuple[Instalment, ...]
    link: str
    pinned: bool
    due: DueNote = rules.NO_DUE_NOTE
    credits: tuple[CreditNote, ...] = ()
    online: bool = False  # Xero shows it online: payment link and PDF offered

    @property
    def headline(self) -> Money:
        return rules.headline(self.invoice)

    @property
    def settled(self) -> bool:
        return self.invoice.balance.amount <= 0


@dataclass(frozen=True, slots=True)
class PanelPage:
    """Everything the templates need for one render."""

    query: PanelQuery
    match: ContactMatch | None = None
    notice: Notice | None = None
    fetched_at: datetime | None = None
    stale: bool = False
    refreshing: bool = False  # shown from the cache past its TTL; the page asks for fresh data on load
    left_out: Notice | None = None  # invoices Xero sent that could not be read (shown besides any `notice`)
    totals: tuple[CurrencyTotals, ...] = ()
    show_credit: bool = False
    counts: dict[View, int] = field(default_factory=dict)
    rows: tuple[Row, ...] = ()
    hidden_rows: int = 0
    date_message: str = ""
    has_data: bool = False
    pin_message: str = ""  # a pin that was refused, and why
    ageing: tuple[CurrencyAgeing, ...] = ()  # over every invoice, whatever the list shows
    listed_count: int = 0  # rows in the list before paging
    listed_sums: tuple[Money, ...] = ()  # what the narrowed list adds up to, per currency
    base_currency: str = ""

    @property
    def summary_currency(self) -> str:
        """The currency the summary opens on: the organisation's own when the customer owes in it."""
        codes = [entry.currency for entry in self.ageing]
        return self.base_currency if self.base_currency in codes else (codes[0] if codes else "")

    @property
    def unpaid_totals(self) -> tuple[Money, ...]:
        return _worth_showing([entry.unpaid for entry in self.totals])

    @property
    def paid_totals(self) -> tuple[Money, ...]:
        return _worth_showing([entry.paid for entry in self.totals])

    @property
    def credit_totals(self) -> tuple[Money, ...]:
        return tuple(entry.credited for entry in self.totals if not entry.credited.is_zero)

    @property
    def pinned_count(self) -> int:
        return self.counts.get(View.PINNED, 0)

    @property
    def next_limit(self) -> int:
        return self.query.limit + PAGE_SIZE

    @property
    def views(self) -> tuple[View, ...]:
        return tuple(View)


def _worth_showing(amounts: list[Money]) -> tuple[Money, ...]:
    """The non-zero amounts, one per currency; a single zero when all are zero, so a total never looks blank."""
    non_zero = tuple(amount for amount in amounts if not amount.is_zero)
    return non_zero or tuple(amounts[:1])


def build_panel(
    invoices: Sequence[Invoice],
    query: PanelQuery,
    *,
    today: date,
    pinned_ids: Collection[str],
    link_for: Callable[[Invoice], str],
    fetched_at: datetime | None,
    match: ContactMatch | None = None,
    notice: Notice | None = None,
    stale: bool = False,
    base_currency: str = "",
    unreadable: Sequence[UnreadableInvoice] = (),
    facts: SnapshotFacts | None = None,
) -> PanelPage:
    """The panel for one contact's invoices: totals over everything listed, one view's rows after search
    and date filter, the first `query.limit` of them, and every view's count. `facts`: the invoices' facts
    (sorting, totals, view membership) if already worked out, as the snapshot cache keeps them."""
    chosen_dates = rules.parse_date_filter(query.start, query.end)
    facts = facts if facts is not None else SnapshotFacts(invoices)
    if rules.normalise_query(query.q) or chosen_dates.range.is_set:
        selection = rules.select(
            invoices, view=query.view, today=today, pinned_ids=pinned_ids, query=query.q, dates=chosen_dates.range
        )
        rows, counts = selection.rows, selection.counts
    else:
        rows, counts = facts.view_rows(query.view, today, pinned_ids), facts.counts(today, pinned_ids)
    if query.age is not None:
        rows = tuple(invoice for invoice in rows if rules.in_bucket(invoice, query.age, today, query.currency))
    shown = rows[: query.limit]
    all_totals = tuple(sorted(facts.totals, key=lambda entry: entry.currency != base_currency))
    day = facts.on(today)
    return PanelPage(
        query=query,
        match=match,
        notice=notice,
        fetched_at=fetched_at,
        stale=stale,
        left_out=left_out_notice(unreadable),
        totals=all_totals,
        show_credit=rules.has_credit(all_totals),
        counts=counts,
        rows=tuple(_row(invoice, day, pinned_ids, link_for) for invoice in shown),
        hidden_rows=len(rows) - len(shown),
        date_message=chosen_dates.message,
        has_data=True,
        ageing=day.ageing(facts.invoices),
        listed_count=len(rows),
        listed_sums=rules.listed_sums(rows) if query.is_narrowed else (),
        base_currency=base_currency,
    )


def left_out_notice(unreadable: Sequence[UnreadableInvoice]) -> Notice | None:
    """Says plainly how many invoices were left out of the list and totals, and which, or None when none were."""
    if not unreadable:
        return None
    count = len(unreadable)
    # The reasons name the fields as Xero spells them (for whoever fixes the data in Xero), in translated words.
    named = _listed([Message("%(number)s (%(reason)s)", number=item.number, reason=item.reason_words) if item.number
                     else N_("one without a readable number (%(reason)s)", reason=item.reason_words)
                     for item in unreadable[:MAX_NAMED_UNREADABLE]])
    if count > MAX_NAMED_UNREADABLE:
        more = count - MAX_NAMED_UNREADABLE
        return Notice(Problem.LEFT_OUT, Nn_(
            "%(num)d invoice from Xero couldn't be read and is left out of this list and the totals: %(named)s, "
            "and %(more)d more.",
            "%(num)d invoices from Xero couldn't be read and are left out of this list and the totals: %(named)s, "
            "and %(more)d more.", count, named=named, more=more))
    return Notice(Problem.LEFT_OUT, Nn_(
        "%(num)d invoice from Xero couldn't be read and is left out of this list and the totals: %(named)s.",
        "%(num)d invoices from Xero couldn't be read and are left out of this list and the totals: %(named)s.",
        count, named=named))


def _listed(items: Sequence[Message]) -> Message:
    """Words joined with commas, each translated when the notice is (the pattern itself is no msgid: the catalogs
    leave it as it is)."""
    return Message(", ".join(f"%(item{index})s" for index in range(len(items))),
                   **{f"item{index}": item for index, item in enumerate(items)})


def _row(invoice: Invoice, day: DayFacts, pinned_ids: Collection[str], link_for: Callable[[Invoice], str]) -> Row:
    return Row(
        invoice=invoice,
        status=day.status(invoice),
        instalments=day.instalments(invoice),
        link=link_for(invoice),
        pinned=invoice.invoice_id in pinned_ids,
        due=rules.due_note(invoice, day.today),
        credits=rules.credit_notes(invoice) if not invoice.amount_credited.is_zero or invoice.credits else (),
        online=rules.has_online_invoice(invoice),
    )


def problem_only(query: PanelQuery, notice: Notice, match: ContactMatch | None = None) -> PanelPage:
    """A panel with nothing to list, only a plain-words state."""
    return PanelPage(query=query, match=match, notice=notice)
