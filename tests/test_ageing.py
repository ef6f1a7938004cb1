"""Ageing, days overdue and credit explanations, judged on the rep's own calendar day (issue 13)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from msgspec.structs import replace

from plugin.domain import invoices as rules
from plugin.domain.clock import FixedClock
from plugin.domain.invoices import AgeBucket, DueKind
from plugin.domain.models import CreditAllocation, CreditKind, InvoiceStatus, InvoiceType
from plugin.web.formatting import user_timezone
from tests.panel.builders import make_invoice, money, paid_invoice

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(("due", "days", "bucket"), [
    ("2026-03-20", 0, AgeBucket.CURRENT),
    ("2026-03-01", 0, AgeBucket.CURRENT),  # due today is not overdue
    ("2026-02-28", 1, AgeBucket.DAYS_1_30),
    ("2026-01-30", 30, AgeBucket.DAYS_1_30),
    ("2026-01-29", 31, AgeBucket.DAYS_31_60),
    ("2025-12-31", 60, AgeBucket.DAYS_31_60),
    ("2025-12-30", 61, AgeBucket.DAYS_61_90),
    ("2025-12-01", 90, AgeBucket.DAYS_61_90),
    ("2025-11-30", 91, AgeBucket.OVER_90),
    ("2024-01-01", 790, AgeBucket.OVER_90),
])
def test_days_overdue_and_the_bucket_follow_the_due_date(due, days, bucket):
    invoice = make_invoice(due_date=due)
    assert rules.days_overdue(invoice, TODAY) == days
    assert rules.age_bucket(invoice, TODAY) is bucket


@pytest.mark.parametrize(("tz", "days", "kind"), [
    ("Pacific/Honolulu", 0, DueKind.DUE_TODAY),  # 2026-03-01T09:00Z is still 28 February there
    ("UTC", 1, DueKind.OVERDUE),
    ("Pacific/Auckland", 1, DueKind.OVERDUE),  # 1 March 22:00 there
])
def test_days_overdue_are_counted_on_the_reps_calendar_day(tz, days, kind):
    clock = FixedClock.at("2026-03-01T09:00:00+00:00")
    reps_today = clock.now().astimezone(user_timezone(tz)).date()  # as PanelLoader.reps_today
    invoice = make_invoice(due_date="2026-02-28")
    assert rules.days_overdue(invoice, reps_today) == days
    assert rules.due_note(invoice, reps_today).kind is kind


@pytest.mark.parametrize(("fields", "text"), [
    ({"due_date": "2026-02-17"}, "12 days overdue"),
    ({"due_date": "2026-02-28"}, "1 day overdue"),
    ({"due_date": "2026-03-01"}, "Due today"),
    ({"due_date": "2026-03-02"}, "Due tomorrow"),
    ({"due_date": "2026-03-06"}, "Due in 5 days"),
    ({"due_date": None}, ""),
    ({"status": InvoiceStatus.DRAFT, "due_date": "2026-02-01"}, ""),  # not sent: never late
    ({"status": InvoiceStatus.PAID, "paid": "100.00", "due_date": "2026-02-01"}, ""),
])
def test_a_row_says_how_late_or_how_soon(fields, text):
    assert rules.due_note(make_invoice(**fields), TODAY).text == text


def test_ageing_sums_each_bucket_per_currency_and_never_adds_currencies():
    invoices = [
        make_invoice(total="100.00", due_date="2026-03-10"),  # current
        make_invoice(total="50.00", paid="20.00", due_date="2026-02-20"),  # 9 days: 30 owed
        make_invoice(total="70.00", due_date="2025-11-01"),  # 120 days
        make_invoice(total="80.00", currency="AUD", due_date="2026-01-15"),  # 45 days
        make_invoice(total="999.00", status=InvoiceStatus.DRAFT, due_date="2025-01-01"),  # not sent
        make_invoice(total="999.00", type=InvoiceType.ACCPAY, due_date="2025-01-01"),  # a bill
        make_invoice(total="999.00", status=InvoiceStatus.VOIDED, due_date="2025-01-01"),
        paid_invoice(total="500.00", due_date="2025-01-01"),
    ]
    aud, nzd = rules.ageing(invoices, TODAY)

    assert (nzd.currency, nzd.owed, nzd.owed_count) == ("NZD", money("200.00"), 3)
    assert (nzd.overdue, nzd.overdue_count, nzd.oldest_days) == (money("100.00"), 2, 120)
    assert [(b.bucket, b.amount, b.count) for b in nzd.buckets] == [
        (AgeBucket.CURRENT, money("100.00"), 1), (AgeBucket.DAYS_1_30, money("30.00"), 1),
        (AgeBucket.DAYS_31_60, money("0"), 0), (AgeBucket.DAYS_61_90, money("0"), 0),
        (AgeBucket.OVER_90, money("70.00"), 1)]
    assert (aud.owed, aud.overdue, aud.oldest_days) == (money("80.00", "AUD"),) * 2 + (45,)
    assert nzd.share(nzd.buckets[0]) == 0.5


def test_nothing_overdue_has_no_oldest_day_and_in_bucket_picks_its_invoices():
    current = make_invoice(due_date="2026-03-10")
    late = make_invoice(due_date="2026-01-01", currency="AUD")
    (_aud, nzd) = rules.ageing([current, late], TODAY)
    assert (nzd.overdue_count, nzd.oldest_days) == (0, 0)
    assert rules.in_bucket(current, AgeBucket.CURRENT, TODAY)
    assert rules.in_bucket(late, AgeBucket.DAYS_31_60, TODAY, "AUD")
    assert not rules.in_bucket(late, AgeBucket.DAYS_31_60, TODAY, "NZD")
    assert not rules.in_bucket(paid_invoice(due_date="2026-01-01"), AgeBucket.DAYS_31_60, TODAY)


def _credit(kind, number, amount, currency="NZD"):
    return CreditAllocation(kind, f"id-{number}", number, date(2026, 2, 2), money(amount, currency))


def test_a_balance_cut_by_credit_names_each_credit_note_overpayment_and_prepayment():
    invoice = replace(make_invoice(total="500.00", credited="275.00"), credits=(
        _credit(CreditKind.OVERPAYMENT, "", "25.00"),
        _credit(CreditKind.CREDIT_NOTE, "CN-0042", "200.00"),
        _credit(CreditKind.PREPAYMENT, "", "50.00"),
    ))
    notes = rules.credit_notes(invoice)
    assert [(note.words, note.applied) for note in notes] == [
        ("Credit note CN-0042", money("200.00")), ("Prepayment", money("50.00")), ("Overpayment", money("25.00"))]


def test_credit_xero_reports_without_allocations_is_still_explained():
    invoice = make_invoice(total="500.00", credited="120.00")
    assert [(note.words, note.applied) for note in rules.credit_notes(invoice)] == [("Credit applied", money("120"))]
    assert rules.credit_notes(make_invoice()) == ()


def test_the_headline_is_the_balance_when_owed_and_the_total_when_settled():
    assert rules.headline(make_invoice(total="100.00", paid="40.00")) == money("60.00")
    assert rules.headline(paid_invoice(total="100.00")) == money("100.00")


def test_a_filtered_list_sums_what_it_shows_per_currency_without_bills():
    invoices = [make_invoice(total="10.00"), paid_invoice(total="5.00"), make_invoice(total="7.00", currency="USD"),
                make_invoice(total="100.00", type=InvoiceType.ACCPAY)]
    assert rules.listed_sums(invoices) == (money("15.00"), money("7.00", "USD"))


@pytest.mark.parametrize(("fields", "online"), [
    ({}, True),
    ({"status": InvoiceStatus.PAID, "paid": "100.00"}, True),
    ({"status": InvoiceStatus.DRAFT}, False),
    ({"status": InvoiceStatus.SUBMITTED}, False),
    ({"status": InvoiceStatus.VOIDED}, False),
    ({"type": InvoiceType.ACCPAY}, False),
])
def test_only_approved_sales_invoices_have_an_online_invoice(fields, online):
    assert rules.has_online_invoice(make_invoice(**fields)) is online


def test_ageing_amounts_are_exact_decimals():
    invoices = [make_invoice(total="0.10", due_date="2026-02-01") for _ in range(3)]
    (nzd,) = rules.ageing(invoices, TODAY)
    assert nzd.overdue.amount == Decimal("0.30")
