"""The card's ageing (plugin/domain/ageing.py): the buckets' edges, owed and overdue per currency, and the most
urgent invoices, judged on the rep's calendar day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from plugin.domain import ageing
from plugin.domain.models import InvoiceStatus, InvoiceType
from plugin.web.formatting import user_timezone
from tests.panel.builders import make_invoice

TODAY = date(2026, 3, 1)


def due(days_ago: int, **fields):
    return make_invoice(due_date=(TODAY - timedelta(days=days_ago)).isoformat(), **fields)


def test_bucket_edges():
    expected = {-3: "current", 0: "current", 1: "1-30", 30: "1-30", 31: "31-60", 60: "31-60", 61: "61-90",
                90: "61-90", 91: "over-90", 400: "over-90"}
    for days, key in expected.items():
        assert ageing.BUCKETS[ageing.bucket_index(due(days), TODAY)][0] == key, days


def test_owed_and_overdue_per_currency_leave_out_what_is_not_owed():
    invoices = [due(10, total="100.00"), due(-5, total="50.00"), due(95, total="20.00", currency="AUD"),
                due(40, total="70.00", paid="70.00"), due(20, total="999.00", status=InvoiceStatus.DRAFT),
                due(20, total="888.00", type=InvoiceType.ACCPAY), due(20, total="777.00", status=InvoiceStatus.VOIDED)]
    totals = {entry.currency: entry for entry in ageing.ageing(invoices, TODAY)}
    assert set(totals) == {"AUD", "NZD"}
    assert totals["NZD"].owed.amount == Decimal("150.00") and totals["NZD"].overdue.amount == Decimal("100.00")
    assert [m.amount for m in totals["NZD"].buckets] == [Decimal("50.00"), Decimal("100.00"), 0, 0, 0]
    assert totals["AUD"].buckets[-1].amount == Decimal("20.00") and totals["AUD"].overdue.amount == Decimal("20.00")


def test_most_urgent_is_the_five_longest_past_due():
    invoices = [due(days, number=f"INV-{days}") for days in (-10, 3, 70, 0, 15, 200, 1)]
    assert [i.invoice_number for i in ageing.most_urgent(invoices, TODAY)] == ["INV-200", "INV-70", "INV-15", "INV-3",
                                                                               "INV-1"]


def test_past_due_is_judged_on_the_reps_day():
    invoice = make_invoice(due_date="2026-02-28")
    instant = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)  # already 1 March in Auckland, still 28 February in London
    auckland = instant.astimezone(user_timezone("Pacific/Auckland")).date()
    london = instant.astimezone(user_timezone("Europe/London")).date()
    assert ageing.days_past_due(invoice, auckland) == 1 and ageing.days_past_due(invoice, london) == 0
