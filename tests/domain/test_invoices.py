"""The panel's invoice rules: views, statuses, totals per currency, search and date filter."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.domain import invoices as rules
from plugin.domain.invoices import DateRange, StatusKind, View
from plugin.domain.models import InvoiceStatus, InvoiceType
from tests.panel.builders import make_invoice, make_payment, money, paid_invoice

TODAY = date(2026, 3, 1)


# --- Views -------------------------------------------------------------------------------------

VIEW_TABLE = [
    # (description, invoice fields, views it belongs to)
    ("paid in full", {"status": InvoiceStatus.PAID, "paid": "100.00"}, {View.PAID}),
    ("owed, due later", {"due_date": "2026-03-15"}, {View.UNPAID, View.OPEN}),
    ("owed, due today is not overdue", {"due_date": "2026-03-01"}, {View.UNPAID, View.OPEN}),
    ("owed, due yesterday", {"due_date": "2026-02-28"}, {View.UNPAID, View.OVERDUE}),
    ("owed, no due date", {"due_date": None}, {View.UNPAID, View.OPEN}),
    ("part paid and overdue", {"paid": "40", "due_date": "2026-01-31"}, {View.UNPAID, View.OVERDUE}),
    ("balance zero but not PAID (credited)", {"credited": "100.00"}, set()),
    # Not sent to the customer yet, so neither open nor overdue for them: only Unpaid lists it.
    ("draft, due later", {"status": InvoiceStatus.DRAFT, "due_date": "2026-03-15"}, {View.UNPAID}),
    ("draft, due date passed", {"status": InvoiceStatus.DRAFT, "due_date": "2026-02-01"}, {View.UNPAID}),
    ("awaiting approval, due date passed", {"status": InvoiceStatus.SUBMITTED, "due_date": "2026-02-01"},
     {View.UNPAID}),
]


@pytest.mark.parametrize(("description", "fields", "expected"), VIEW_TABLE, ids=[row[0] for row in VIEW_TABLE])
def test_each_invoice_lands_in_the_views_its_balance_and_due_date_say(description, fields, expected):
    invoice = make_invoice(**fields)
    found = {view for view in View if view is not View.PINNED and rules.in_view(invoice, view, TODAY)}
    assert found == expected


def test_pinned_view_holds_exactly_the_pinned_invoices():
    kept, other = make_invoice(), paid_invoice()
    assert rules.in_view(kept, View.PINNED, TODAY, {kept.invoice_id})
    assert not rules.in_view(other, View.PINNED, TODAY, {kept.invoice_id})


@pytest.mark.parametrize("status", [InvoiceStatus.DELETED, InvoiceStatus.VOIDED])
def test_deleted_and_voided_invoices_are_never_listed_even_when_pinned(status):
    gone = make_invoice(status=status)
    selection = rules.select([gone], view=View.PINNED, today=TODAY, pinned_ids={gone.invoice_id})
    assert selection.rows == ()
    assert all(count == 0 for count in selection.counts.values())


def test_rows_come_newest_first_and_counts_cover_every_view():
    old = make_invoice(on="2025-11-01", due_date="2025-12-01")
    new = make_invoice(on="2026-02-20")
    paid = paid_invoice(on="2026-01-10")
    selection = rules.select([old, paid, new], view=View.UNPAID, today=TODAY, pinned_ids={paid.invoice_id})
    assert selection.rows == (new, old)
    assert selection.counts == {View.PAID: 1, View.UNPAID: 2, View.OPEN: 1, View.OVERDUE: 1, View.PINNED: 1}


@pytest.mark.parametrize(("given_name", "expected"), [
    ("paid", View.PAID), ("OVERDUE", View.OVERDUE), (" pinned ", View.PINNED), ("", View.OPEN),
    (None, View.OPEN), ("bogus", View.OPEN),
])
def test_view_names_from_requests_fall_back_to_open(given_name, expected):
    assert View.parse(given_name) is expected


# --- Status words ------------------------------------------------------------------------------

STATUS_TABLE = [
    ("paid", {"status": InvoiceStatus.PAID, "paid": "100"}, StatusKind.PAID, "Paid"),
    ("open", {}, StatusKind.OPEN, "Open"),
    ("overdue", {"due_date": "2026-02-01"}, StatusKind.OVERDUE, "Overdue"),
    ("draft", {"status": InvoiceStatus.DRAFT}, StatusKind.DRAFT, "Draft"),
    ("awaiting approval", {"status": InvoiceStatus.SUBMITTED}, StatusKind.DRAFT, "Awaiting approval"),
    ("draft past its due date is still a draft", {"status": InvoiceStatus.DRAFT, "due_date": "2026-02-01"},
     StatusKind.DRAFT, "Draft"),
    ("partly paid, two instalments",
     {"paid": "60", "payments": (make_payment("30", "2026-02-02"), make_payment("30", "2026-02-09"))},
     StatusKind.OPEN, "Partially paid, 2 payments"),
    ("partly paid and overdue",
     {"paid": "10", "due_date": "2026-02-01", "payments": (make_payment("10", "2026-02-02"),)},
     StatusKind.OVERDUE, "Overdue, partially paid, 1 payment"),
    ("paid in three instalments",
     {"status": InvoiceStatus.PAID, "paid": "100", "payments": tuple(make_payment(amount, on) for amount, on in [
         ("30", "2026-02-02"), ("30", "2026-02-09"), ("40", "2026-02-16")])},
     StatusKind.PAID, "Paid, 3 payments"),
]


@pytest.mark.parametrize(("description", "fields", "kind", "text"), STATUS_TABLE, ids=[row[0] for row in STATUS_TABLE])
def test_status_words_say_paid_open_overdue_or_partially_paid_with_payment_count(description, fields, kind, text):
    status = rules.display_status(make_invoice(**fields), TODAY)
    assert (status.kind, status.text) == (kind, text)


def test_instalments_are_numbered_oldest_first_with_date_amount_and_reference():
    second = make_payment("30.00", "2026-02-09", reference="Second")
    first = make_payment("20.00", "2026-02-02", reference="Deposit")
    invoice = make_invoice(paid="50", payments=(second, first))
    listed = rules.instalments(invoice)
    assert [(item.number, item.of, item.date, item.amount, item.reference) for item in listed] == [
        (1, 2, date(2026, 2, 2), money("20.00"), "Deposit"),
        (2, 2, date(2026, 2, 9), money("30.00"), "Second"),
    ]


# --- Totals ------------------------------------------------------------------------------------


def test_totals_are_kept_per_currency_and_leave_drafts_bills_and_voided_out():
    invoices = [
        make_invoice(total="100", paid="40", currency="NZD"),
        paid_invoice(total="50", currency="NZD"),
        make_invoice(total="1000", currency="JPY"),
        make_invoice(total="70", credited="20", currency="USD"),
        make_invoice(total="999", status=InvoiceStatus.DRAFT),
        make_invoice(total="999", status=InvoiceStatus.SUBMITTED),
        make_invoice(total="999", status=InvoiceStatus.VOIDED),
        make_invoice(total="999", type=InvoiceType.ACCPAY),
    ]
    assert rules.totals(invoices) == (
        rules.CurrencyTotals("JPY", money("0", "JPY"), money("1000", "JPY"), money("0", "JPY")),
        rules.CurrencyTotals("NZD", money("90"), money("60"), money("0")),
        rules.CurrencyTotals("USD", money("0", "USD"), money("50", "USD"), money("20", "USD")),
    )
    assert rules.has_credit(rules.totals(invoices))
    assert not rules.has_credit(rules.totals(invoices[:3]))


CURRENCIES = st.sampled_from(["NZD", "USD", "JPY", "EUR"])
AMOUNTS = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2, allow_nan=False, allow_infinity=False)


@st.composite
def any_invoice(draw):
    total = draw(AMOUNTS)
    paid = draw(st.decimals(min_value=0, max_value=total, places=2))
    credited = draw(st.decimals(min_value=0, max_value=total - paid, places=2))
    return make_invoice(
        total=str(total), paid=str(paid), credited=str(credited), currency=draw(CURRENCIES),
        status=draw(st.sampled_from(list(InvoiceStatus))), type=draw(st.sampled_from(list(InvoiceType))),
    )


@given(st.lists(any_invoice(), max_size=30))
def test_totals_equal_the_decimal_sums_of_the_counted_invoices_per_currency(invoices):
    expected: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for invoice in invoices:
        if invoice.type is InvoiceType.ACCREC and invoice.status in {InvoiceStatus.AUTHORISED, InvoiceStatus.PAID}:
            sums = expected[invoice.currency]
            sums[0] += invoice.amount_paid.amount
            sums[1] += max(invoice.amount_due.amount, Decimal(0))
            sums[2] += invoice.amount_credited.amount
    result = {entry.currency: entry for entry in rules.totals(invoices)}
    assert set(result) == set(expected)
    for currency, (paid, unpaid, credited) in expected.items():
        entry = result[currency]
        assert (entry.paid.amount, entry.unpaid.amount, entry.credited.amount) == (paid, unpaid, credited)
        assert {entry.paid.currency, entry.unpaid.currency, entry.credited.currency} == {currency}


# --- Search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "found"), [
    ("", True), ("inv-00", True), ("0042", True), ("  Inv-0042  ", True), ("inv-0043", False), ("42X", False),
])
def test_search_matches_part_of_the_invoice_number_ignoring_case_and_spaces(query, found):
    assert rules.matches_number(make_invoice(number="INV-0042"), query) is found


NUMBER_CHARACTERS = st.characters(categories=("Lu", "Ll", "Nd"), include_characters="-/ #")


@given(number=st.text(NUMBER_CHARACTERS, min_size=1, max_size=12), data=st.data())
def test_any_slice_of_a_number_in_any_case_finds_it(number, data):
    start = data.draw(st.integers(0, len(number) - 1))
    end = data.draw(st.integers(start + 1, len(number)))
    needle = number[start:end]
    invoice = make_invoice(number=number)
    assert rules.matches_number(invoice, needle)
    assert rules.matches_number(invoice, needle.casefold())
    assert rules.matches_number(invoice, f"  {needle}  ")


@given(st.text(max_size=40))
def test_search_never_fails_on_any_typed_text(query):
    rules.select([make_invoice(number="INV-1")], view=View.OPEN, today=TODAY, query=query)


# --- Date filter -------------------------------------------------------------------------------


def test_date_filter_keeps_invoices_on_both_bounds():
    on = ["2026-01-31", "2026-02-01", "2026-02-15", "2026-02-28", "2026-03-01"]
    invoices = [make_invoice(on=day) for day in on]
    chosen = rules.parse_date_filter("2026-02-01", "2026-02-28")
    kept = rules.filter_invoices(invoices, dates=chosen.range)
    assert [invoice.date.isoformat() for invoice in kept] == ["2026-02-01", "2026-02-15", "2026-02-28"]
    assert chosen.message == ""


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2026-02-01", "", DateRange(date(2026, 2, 1), None)),
    ("", "2026-02-01", DateRange(None, date(2026, 2, 1))),
    ("", "", DateRange()),
    (None, None, DateRange()),
])
def test_either_bound_may_be_left_empty(start, end, expected):
    assert rules.parse_date_filter(start, end) == rules.DateFilter(expected)


def test_an_end_before_the_start_gets_a_message_and_no_filter():
    chosen = rules.parse_date_filter("2026-03-01", "2026-02-01")
    assert "end date is before the start" in chosen.message
    assert not chosen.range.is_set


def test_a_date_that_is_not_a_date_gets_a_message():
    assert "YYYY-MM-DD" in rules.parse_date_filter("yesterday", "").message


@given(st.lists(st.dates(date(2024, 1, 1), date(2027, 12, 31)), max_size=20),
       st.dates(date(2024, 1, 1), date(2027, 12, 31)), st.integers(0, 400))
def test_date_filter_keeps_exactly_the_invoices_inside_the_inclusive_range(days, start, length):
    end = start + timedelta(days=length)
    invoices = [make_invoice(on=day.isoformat()) for day in days]
    chosen = rules.parse_date_filter(start.isoformat(), end.isoformat())
    kept = rules.filter_invoices(invoices, dates=chosen.range)
    assert [invoice.date for invoice in kept] == [day for day in days if start <= day <= end]


@given(st.text(max_size=12), st.text(max_size=12))
def test_any_typed_dates_give_a_range_or_a_message_never_an_error(start, end):
    chosen = rules.parse_date_filter(start, end)
    assert chosen.message or not (chosen.range.start and chosen.range.end and chosen.range.end < chosen.range.start)
