"""What a contact's invoices say whatever the rep asks: worked out once per snapshot (and per day).

A warm panel render used to sort every invoice, sum the totals and test every invoice against every view
on each request. Those answers depend only on the snapshot's invoices (and, for the views, on today),
never on the request, so `SnapshotFacts(invoices)` works them out once and the snapshot cache keeps them
beside the decoded snapshot (plugin.runtime.snapshots): a refetched or changed snapshot is a new entry with
new facts. Everything is computed with the rules in plugin.domain.invoices, so both paths agree by construction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import date

from plugin.domain import invoices as rules
from plugin.domain.invoices import CurrencyTotals, DisplayStatus, Instalment, View
from plugin.domain.models import Invoice

REQUEST_FREE_VIEWS = tuple(view for view in View if view is not View.PINNED)  # pins belong to the request


class DayFacts:
    """One snapshot on one day: each view's rows (pins apart) and each row's status and instalments."""

    def __init__(self, listed: tuple[Invoice, ...], today: date) -> None:
        self.today = today
        self.rows = {view: tuple(invoice for invoice in listed if rules.in_view(invoice, view, today))
                     for view in REQUEST_FREE_VIEWS}
        self.counts = {view: len(rows) for view, rows in self.rows.items()}  # in View's order, Pinned apart
        self._statuses: dict[str, DisplayStatus] = {}
        self._instalments: dict[str, tuple[Instalment, ...]] = {}
        self._ageing: tuple[rules.CurrencyAgeing, ...] | None = None

    def ageing(self, invoices: tuple[Invoice, ...]) -> tuple[rules.CurrencyAgeing, ...]:
        """The summary's ageing of the snapshot's `invoices` on this day, worked out once (reps switch views all
        day over the same data, and the snapshot cache keeps these facts beside the snapshot)."""
        if self._ageing is None:
            self._ageing = rules.ageing(invoices, self.today)
        return self._ageing

    def status(self, invoice: Invoice) -> DisplayStatus:
        found = self._statuses.get(invoice.invoice_id)
        if found is None:
            found = self._statuses[invoice.invoice_id] = rules.display_status(invoice, self.today)
        return found

    def instalments(self, invoice: Invoice) -> tuple[Instalment, ...]:
        found = self._instalments.get(invoice.invoice_id)
        if found is None:
            found = self._instalments[invoice.invoice_id] = rules.instalments(invoice)
        return found


class SnapshotFacts:
    """The listed invoices newest first, the totals, and per day the rows of each view."""

    def __init__(self, invoices: Sequence[Invoice]) -> None:
        self.invoices = tuple(invoices)
        self.listed = tuple(rules.listed(self.invoices))
        self._listed_per_id = Counter(invoice.invoice_id for invoice in self.listed)  # listed twice: counted twice
        self.totals: tuple[CurrencyTotals, ...] = rules.totals(self.invoices)
        self._days: dict[date, DayFacts] = {}

    def on(self, today: date) -> DayFacts:
        found = self._days.get(today)
        if found is None:
            found = DayFacts(self.listed, today)
            # Reps in several time zones can be on different days at once; older days go.
            self._days = {**dict(list(self._days.items())[-2:]), today: found}
        return found

    def view_rows(self, view: View, today: date, pinned_ids: Collection[str]) -> tuple[Invoice, ...]:
        """rules.select(...).rows for an unfiltered query."""
        if view is View.PINNED:
            return tuple(invoice for invoice in self.listed if invoice.invoice_id in pinned_ids)
        return self.on(today).rows[view]

    def counts(self, today: date, pinned_ids: Collection[str]) -> dict[View, int]:
        """rules.select(...).counts for an unfiltered query."""
        # the pins are few (at most a couple of hundred), the listed invoices may be thousands
        pinned = sum(self._listed_per_id.get(invoice_id, 0) for invoice_id in set(pinned_ids)) if pinned_ids else 0
        return {**self.on(today).counts, View.PINNED: pinned}
