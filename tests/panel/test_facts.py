"""The per-snapshot facts a warm render reuses say exactly what the rules say, on whatever day the rep is on."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from plugin.domain import invoices as rules
from plugin.domain.facts import SnapshotFacts
from plugin.domain.invoices import View
from plugin.domain.models import InvoiceStatus
from plugin.panel.model import PanelQuery, build_panel
from tests.panel.builders import make_invoice

TODAY = date(2026, 3, 1)
MANY = 8


@st.composite
def any_invoice(draw):
    total = draw(st.sampled_from(["0.00", "50.00", "120.00"]))
    paid = draw(st.sampled_from(["0", "50.00"])) if total != "0.00" else "0"
    return make_invoice(
        total=total, paid=paid,
        status=draw(st.sampled_from(list(InvoiceStatus))),
        on=str(TODAY - timedelta(days=draw(st.integers(0, 60)))),
        due_date=str(TODAY + timedelta(days=draw(st.integers(-30, 30)))),
    )


@given(st.lists(any_invoice(), min_size=1, max_size=40), st.data())
def test_rows_counts_and_statuses_match_the_rules_for_every_view(invoices, data):
    snapshot = tuple(invoices)
    pinned = set(data.draw(st.lists(st.sampled_from([invoice.invoice_id for invoice in snapshot]), max_size=5)))
    for view in View:
        page = build_panel(snapshot, PanelQuery(view=view, limit=1000), today=TODAY, pinned_ids=pinned,
                           link_for=lambda invoice: "", fetched_at=None)
        expected = rules.select(snapshot, view=view, today=TODAY, pinned_ids=pinned)
        assert [row.invoice for row in page.rows] == list(expected.rows)
        assert page.counts == expected.counts
        assert [row.status for row in page.rows] == [rules.display_status(row.invoice, TODAY) for row in page.rows]
        assert page.totals == rules.totals(snapshot)


def test_facts_worked_out_beforehand_give_the_same_page():
    snapshot = tuple(make_invoice(number=f"INV-{n}", paid="100.00" if n % 3 == 0 else "0",
                                  status=InvoiceStatus.PAID if n % 3 == 0 else InvoiceStatus.AUTHORISED)
                     for n in range(MANY))
    facts = SnapshotFacts(snapshot)
    for view in View:
        settings = {"today": TODAY, "pinned_ids": {snapshot[1].invoice_id}, "link_for": lambda invoice: "",
                    "fetched_at": None}
        assert build_panel(snapshot, PanelQuery(view=view), facts=facts, **settings) == \
            build_panel(snapshot, PanelQuery(view=view), **settings)


def test_a_new_day_moves_invoices_from_open_to_overdue():
    facts = SnapshotFacts(tuple(make_invoice(due_date="2026-03-01") for _ in range(MANY)))
    assert facts.counts(TODAY, ())[View.OPEN] == MANY
    assert facts.counts(TODAY + timedelta(days=1), ())[View.OVERDUE] == MANY


def test_an_invoice_listed_twice_is_counted_under_pinned_as_often_as_the_pinned_list_shows_it():
    twice = make_invoice(number="INV-2X", due_date="2026-03-20")
    snapshot = (twice, make_invoice(number="INV-1"), twice)  # Xero's pages shifted during a fetch
    page = build_panel(snapshot, PanelQuery(view=View.PINNED), today=TODAY, pinned_ids={twice.invoice_id, "gone"},
                       link_for=lambda invoice: "", fetched_at=None)
    assert page.counts[View.PINNED] == len(page.rows) == 2
