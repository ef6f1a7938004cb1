"""Reading whole GET /Invoices answers from their JSON: exact money, both date forms, errors that name the field
path, an unreadable invoice left out while the rest are kept, and snapshots that survive msgspec's msgpack."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devkit.bench_parse import build_page
from plugin.domain.models import CreditKind, Invoice, InvoiceStatus, InvoiceType
from plugin.domain.money import CurrencyMismatch, Money
from plugin.xero.errors import BadXeroData
from plugin.xero.parse import (
    load_json,
    parse_invoice,
    parse_invoice_page,
    parse_ms_datetime,
    parse_payment,
    read_invoices,
)
from tests.xero.conftest import invoice_json


def page_of(*invoices: dict, **envelope: object) -> bytes:
    return json.dumps({"Id": "x", "Status": "OK", **envelope, "Invoices": list(invoices)}).encode()


@pytest.fixture(scope="module")
def generated_page() -> str:
    """A page as the emulator writes it: line items, instalment payments, applied credits, both date forms."""
    return build_page(60)


# -- exact money -------------------------------------------------------------------------------------------------


def test_amounts_keep_the_digits_xero_wrote_and_add_up_exactly():
    body = page_of(invoice_json(Payments=[], InvoiceID="a")).replace(b'"Total": 46.0', b'"Total": 46.00')
    body = body.replace(b'"AmountPaid": 46.0', b'"AmountPaid": 0.1')
    body = body.replace(b'"AmountCredited": 0.0', b'"AmountCredited": 0.2')
    [invoice] = read_invoices(body).invoices
    assert str(invoice.total.amount) == "46.00"
    assert (invoice.amount_paid + invoice.amount_credited).amount == Decimal("0.3")  # not 0.30000000000000004
    assert str((invoice.amount_paid + invoice.amount_credited).amount) == "0.3"


def test_large_and_many_digit_amounts_are_exact():
    body = page_of(invoice_json(Payments=[])).replace(b'"Total": 46.0', b'"Total": 12345678901234567.891')
    [invoice] = read_invoices(body).invoices
    assert invoice.total.amount == Decimal("12345678901234567.891")


def test_mixing_currencies_still_raises():
    with pytest.raises(CurrencyMismatch):
        Money(Decimal("1.00"), "NZD") + Money(Decimal("1.00"), "AUD")


# -- both date forms -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"DateString": "2018-10-20T00:00:00", "Date": "/Date(1539993600000+0000)/"}, date(2018, 10, 20)),
        ({"DateString": "2018-10-21T00:00:00", "Date": "/Date(1539993600000+0000)/"}, date(2018, 10, 21)),  # wins
        ({"DateString": "2018-10-20"}, date(2018, 10, 20)),
        ({"Date": "/Date(1539993600000+0000)/"}, date(2018, 10, 20)),
        ({"Date": "/Date(1539993600000)/"}, date(2018, 10, 20)),
        ({"Date": "/Date(1419937200000+1300)/"}, date(2014, 12, 30)),  # the UTC date of the instant
        ({"Date": "/Date(-2208988800000+0000)/"}, date(1900, 1, 1)),
        ({"DateString": "", "Date": "/Date(1539993600000+0000)/"}, date(2018, 10, 20)),
    ],
)
def test_both_date_forms_are_read_from_a_page(fields, expected):
    data = invoice_json()
    del data["Date"], data["DateString"]
    [invoice] = read_invoices(page_of({**data, **fields})).invoices
    assert invoice.date == expected


def test_payment_and_credit_dates_in_both_forms():
    data = invoice_json(
        Payments=[
            {"PaymentID": "p1", "Date": "/Date(1543449600000+0000)/", "Amount": 1},
            {"PaymentID": "p2", "DateString": "2018-11-30T00:00:00", "Amount": 2},
        ],
        CreditNotes=[{"CreditNoteID": "cn1", "Date": "/Date(-86400000)/", "AppliedAmount": 3}],
    )
    [invoice] = read_invoices(page_of(data)).invoices
    assert [p.date for p in invoice.payments] == [date(2018, 11, 29), date(2018, 11, 30)]
    assert invoice.credits[0].date == date(1969, 12, 31)


def test_updated_at_is_the_utc_instant_to_the_millisecond():
    [invoice] = read_invoices(page_of(invoice_json(UpdatedDateUTC="/Date(1451988985943+1300)/"))).invoices
    assert invoice.updated_at == datetime(2016, 1, 5, 10, 16, 25, 943000, tzinfo=UTC)


# -- errors name the field path ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "value", "reason"),
    [
        ({"Contact": {"Name": "No id"}}, "Contact.ContactID", None, "missing"),
        ({"Contact": {"ContactID": "", "Name": "x"}}, "Contact.ContactID", "", "missing"),
        ({"Payments": [{"PaymentID": "p1", "Date": "/Date(0)/", "Amount": "lots"}]}, "Payments[].Amount", "lots", None),
        ({"Payments": [{"PaymentID": "p1", "Amount": 1}]}, "Payments[].Date", None, "missing"),
        ({"Payments": [{"PaymentID": "p1", "Date": "soon", "Amount": 1}]}, "Payments[].Date", "soon", None),
        ({"Payments": [{"PaymentID": "p", "DateString": "31/1", "Amount": 1}]}, "Payments[].DateString", "31/1", None),
        ({"Overpayments": [{"OverpaymentID": "o", "AppliedAmount": True}]}, "Overpayments[].AppliedAmount", True, None),
        ({"CreditNotes": [{"CreditNoteNumber": "CN-1"}]}, "CreditNotes[].CreditNoteID", None, "missing"),
        ({"CurrencyCode": "XYZ"}, "CurrencyCode", "XYZ", "unknown currency code"),
        ({"Total": None}, "Total", None, "missing"),
        ({"Status": "ARCHIVED"}, "Status", "ARCHIVED", None),
        ({"DueDate": "/Date(1539993600000+2500)/", "DueDateString": None}, "DueDate", None, "offset out of range"),
        ({"UpdatedDateUTC": "/Date(999999999999999+0000)/"}, "UpdatedDateUTC", None, "date out of range"),
        ({"InvoiceNumber": 42}, "InvoiceNumber", 42, None),
    ],
)
def test_errors_name_the_field_path_the_value_and_the_reason(overrides, field, value, reason):
    for read in (lambda data: read_invoices(page_of(data)).unreadable[0][1], _raised_by_parse_invoice):
        error = read(invoice_json(**overrides))
        assert error.field == field
        if value is not None:
            assert error.value == value
        if reason is not None:
            assert error.reason == reason
        assert field in str(error)


def _raised_by_parse_invoice(data: dict) -> BadXeroData:
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(data)
    return raised.value


def test_a_payment_read_on_its_own_names_its_own_fields():
    with pytest.raises(BadXeroData) as raised:
        parse_payment({"PaymentID": "p1", "Amount": "lots", "Invoice": {"InvoiceID": "i", "CurrencyCode": "NZD"}})
    assert raised.value.field == "Amount"
    with pytest.raises(BadXeroData) as raised:
        parse_payment({"PaymentID": "p1", "Amount": 1, "Date": "/Date(0)/", "Invoice": {"InvoiceID": "i"}})
    assert raised.value.field == "Invoice.CurrencyCode"
    payment = parse_payment({"PaymentID": "p1", "Amount": 1, "Date": "/Date(0)/",
                             "Invoice": {"InvoiceID": "i", "CurrencyCode": "AUD"}})
    assert (payment.invoice_id, payment.amount) == ("i", Money(Decimal(1), "AUD"))


# -- one unreadable invoice among good ones ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (invoice_json(InvoiceID="bad", InvoiceNumber="INV-0042", CurrencyCode="XYZ"), "CurrencyCode"),  # msgspec
        (invoice_json(InvoiceID="bad", InvoiceNumber="INV-0042", DateString="31/02/2026"), "DateString"),  # after
        ("not an invoice", "Invoice"),
    ],
)
def test_an_unreadable_invoice_is_named_and_left_out_while_the_rest_are_kept(bad, field):
    body = page_of(invoice_json(InvoiceID="one"), bad, invoice_json(InvoiceID="two"),
                   pagination={"page": 1, "pageSize": 3, "pageCount": 1, "itemCount": 3})
    decoded = read_invoices(body)
    assert [invoice.invoice_id for invoice in decoded.invoices] == ["one", "two"]
    [(raw, error)] = decoded.unreadable
    assert raw == load_json(json.dumps(bad))  # as Xero sent it, for the rep's notice and the log
    assert error.field == field
    assert decoded.received == 3  # paging counts what Xero sent
    assert decoded.pagination["pageCount"] == 1


def test_a_page_with_an_unreadable_invoice_raises_its_error_when_read_whole():
    with pytest.raises(BadXeroData) as raised:
        parse_invoice_page(page_of(invoice_json(), invoice_json(CurrencyCode="XYZ")))
    assert raised.value.field == "CurrencyCode"


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"[]", "response"), (b'{"Invoices": {"a": 1}}', "Invoices"), (b'{"Invoices": 3}', "Invoices")],
)
def test_an_answer_that_is_not_xeros_envelope_is_bad_data(body, field):
    with pytest.raises(BadXeroData) as raised:
        read_invoices(body)
    assert raised.value.field == field


@pytest.mark.parametrize("body", [b"", b"<html>proxy</html>", b'{"Invoices": ['])
def test_an_answer_that_is_not_json_is_a_value_error(body):
    with pytest.raises(ValueError):  # the client retries these as XeroUnavailable
        read_invoices(body)


def test_no_invoices_and_null_invoices_are_an_empty_page():
    assert read_invoices(b'{"Invoices": []}').invoices == ()
    assert read_invoices(b'{"Invoices": null}').invoices == ()
    assert read_invoices(b"{}").received == 0


# -- the page reader and the single-invoice reader agree ----------------------------------------------------------


def test_a_generated_page_reads_the_same_from_json_as_from_dicts(generated_page):
    from_json = parse_invoice_page(generated_page)
    from_dicts = parse_invoice_page(load_json(generated_page))
    assert from_json == from_dicts
    assert len(from_json.invoices) == 60
    assert any(invoice.payments for invoice in from_json.invoices)
    assert {invoice.type for invoice in from_json.invoices} <= set(InvoiceType)


ODD_VALUES = st.sampled_from(
    [None, "", "x", 0, 1, True, [], {}, [{}], 1.5, "NZD", "ZZZ", "ACCPAY", "VOIDED", "2018-10-20T00:00:00",
     "2018-13-45", "/Date(1539993600000+0000)/", "/Date(-1000)/", "/Date(1539993600000+1300)/",
     "/Date(999999999999999+0000)/", "/Date(abc)/", "NaN", "46.00"]
)
PATHS = st.sampled_from(
    [("InvoiceID",), ("InvoiceNumber",), ("Reference",), ("Type",), ("Status",), ("CurrencyCode",), ("Contact",),
     ("Contact", "ContactID"), ("Contact", "Name"), ("Date",), ("DateString",), ("DueDate",), ("DueDateString",),
     ("UpdatedDateUTC",), ("Total",), ("AmountDue",), ("AmountPaid",), ("AmountCredited",), ("Payments",),
     ("Payments", 0), ("Payments", 0, "PaymentID"), ("Payments", 0, "Date"), ("Payments", 0, "Amount"),
     ("CreditNotes",), ("CreditNotes", 0, "CreditNoteID"), ("CreditNotes", 0, "AppliedAmount"),
     ("CreditNotes", 0, "Date")]
)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(PATHS, ODD_VALUES, st.booleans()), min_size=1, max_size=3))
def test_odd_values_read_the_same_in_a_page_and_alone(edits):
    """Whatever Xero sends, the page reader and parse_invoice give the same invoice or name the same field."""
    data = invoice_json(CreditNotes=[{"CreditNoteID": "cn1", "CreditNoteNumber": "CN-1", "AppliedAmount": 1.5}])
    for path, value, delete in edits:
        target = data
        try:
            for key in path[:-1]:
                target = target[key]
            if delete:
                del target[path[-1]]
            else:
                target[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced a parent
    decoded = read_invoices(page_of(data))
    try:
        alone = parse_invoice(load_json(json.dumps(data)))
    except BadXeroData as error:
        [(_raw, page_error)] = decoded.unreadable
        assert page_error.field == error.field
        return
    assert decoded.invoices == (alone,)


# -- snapshots round-trip through msgspec's msgpack -----------------------------------------------------------------


def test_a_snapshot_of_invoices_round_trips_exactly_through_msgpack(generated_page):
    data = invoice_json(
        InvoiceID="credits",
        DueDate=None,
        DueDateString=None,
        CreditNotes=[{"CreditNoteID": "cn1", "CreditNoteNumber": "CN-1", "AppliedAmount": 10.5}],
        Overpayments=[{"OverpaymentID": "op1", "Date": "/Date(1543449600000+0000)/", "AppliedAmount": 2.5}],
    )
    snapshot = (*parse_invoice_page(generated_page).invoices, parse_invoice(load_json(json.dumps(data))))
    decoded = msgspec.msgpack.Decoder(tuple[Invoice, ...]).decode(msgspec.msgpack.encode(snapshot))
    assert decoded == snapshot
    for before, after in zip(snapshot, decoded, strict=True):
        assert type(after.type) is InvoiceType and type(after.status) is InvoiceStatus
        assert type(after.date) is date and type(after.updated_at) is datetime
        assert after.updated_at.utcoffset() is not None and after.updated_at == before.updated_at
        assert str(after.total.amount) == str(before.total.amount)  # the digits, not only the value
        assert type(after.payments) is tuple and type(after.credits) is tuple
    assert decoded[-1].due_date is None
    assert [credit.kind for credit in decoded[-1].credits] == [CreditKind.CREDIT_NOTE, CreditKind.OVERPAYMENT]


def test_a_snapshot_with_a_bad_money_is_refused_on_decode():
    good = msgspec.msgpack.encode(Money(Decimal("1.00"), "NZD"))
    assert msgspec.msgpack.decode(good, type=Money) == Money(Decimal("1.00"), "NZD")
    with pytest.raises(msgspec.ValidationError):
        msgspec.msgpack.decode(msgspec.msgpack.encode({"amount": "1.00", "currency": "NZDX"}), type=Money)


@settings(max_examples=200, deadline=None)
@given(
    millis=st.one_of(
        st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
        st.integers(min_value=253_402_300_799_000 - 86_400_000, max_value=253_402_300_799_999 + 86_400_000),
    ),
    offset=st.sampled_from(["+0000", "", "+1300", "-0800"]),
)
def test_a_page_reads_every_ms_date_as_the_utc_date_and_instant_it_names(millis, offset):
    """The page reads Xero's usual form inline; every form must give what parse_ms_datetime says, or be named."""
    value = f"/Date({millis}{offset})/"
    data = invoice_json(DateString=None, Date=value, UpdatedDateUTC=value,
                        Payments=[{"PaymentID": "p1", "Date": value, "Amount": 1}])
    decoded = read_invoices(page_of(data))
    try:
        instant = parse_ms_datetime(value, "Date")
    except BadXeroData:
        [(_raw, error)] = decoded.unreadable
        assert error.field in ("Date", "UpdatedDateUTC", "Payments[].Date")
        return
    [invoice] = decoded.invoices
    assert invoice.date == invoice.payments[0].date == instant.date()
    assert invoice.updated_at == instant


@settings(max_examples=500, deadline=None)
@given(
    millis=st.one_of(
        st.integers(min_value=0, max_value=10**15 - 1),
        st.integers(min_value=2**32 * 1000 - 10**6, max_value=2**32 * 1000 + 10**6),  # where the float path ends
        st.integers(min_value=1_500_000_000_000, max_value=1_900_000_000_000),  # this century
    )
)
def test_every_instant_is_exact_to_the_millisecond(millis):
    value = f"/Date({millis}+0000)/"
    try:
        expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    except OverflowError:
        with pytest.raises(BadXeroData):
            parse_ms_datetime(value, "UpdatedDateUTC")
        return
    assert parse_ms_datetime(value, "UpdatedDateUTC") == expected
    [invoice] = read_invoices(page_of(invoice_json(UpdatedDateUTC=value))).invoices
    assert invoice.updated_at == expected
    assert invoice.updated_at.utcoffset() == timedelta(0)
