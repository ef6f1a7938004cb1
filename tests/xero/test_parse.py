"""The parse step: Xero's dates, money, enums and required fields into the frozen models."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from plugin.domain.models import ContactStatus, CreditKind, InvoiceStatus, InvoiceType
from plugin.domain.money import Money
from plugin.xero.errors import BadXeroData
from plugin.xero.parse import (
    load_json,
    parse_connection,
    parse_contact,
    parse_invoice,
    parse_invoice_page,
    parse_ms_date,
    parse_ms_datetime,
    parse_organisation,
    parse_token_set,
)
from tests.xero.conftest import invoice_json


def from_wire(obj: object) -> object:
    """What the client would see: the object sent through JSON and decoded with Decimal floats."""
    return load_json(json.dumps(obj))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1539993600000+0000)/", date(2018, 10, 20)),  # the spec's INV-0002 date
        ("/Date(1539993600000)/", date(2018, 10, 20)),  # no offset: UTC
        ("/Date(1540079999999+0000)/", date(2018, 10, 20)),  # last millisecond of the UTC day
        ("/Date(1419937200000+1300)/", date(2014, 12, 30)),  # 11:00 UTC; the offset does not move the UTC date
        ("/Date(1539993600000-0800)/", date(2018, 10, 20)),  # west of UTC: still not shifted a day back
        ("/Date(1539993600000+05)/", date(2018, 10, 20)),  # two-digit offset
        ("/Date(0+0000)/", date(1970, 1, 1)),  # Xero's placeholder
        ("/Date(-1+0000)/", date(1969, 12, 31)),  # one millisecond before the epoch
        ("/Date(-86400000)/", date(1969, 12, 31)),
        ("/Date(-2208988800000+0000)/", date(1900, 1, 1)),  # far before 1970: no fromtimestamp involved
        ("2018-10-20T00:00:00", date(2018, 10, 20)),  # DateString form
        ("2018-10-20", date(2018, 10, 20)),
    ],
)
def test_ms_dates_read_as_the_utc_calendar_date(value, expected):
    assert parse_ms_date(value, "Date") == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        1539993600000,
        "",
        "Date(1539993600000)",
        "/Date(abc)/",
        "/Date(1539993600000+2500)/",  # no such offset
        "/Date(1539993600000+0099)/",
        "/Date(999999999999999)/",  # year 31,000-something
        "/Date(12345678901234567890)/",
        "/Date(--5+0000)/",
        "/Date(\u00b2+0000)/",
        "/Date(+0000)/",
        "2018-13-45",
        "yesterday",
    ],
)
def test_bad_dates_raise_naming_the_field(value):
    with pytest.raises(BadXeroData) as raised:
        parse_ms_date(value, "DueDate")
    assert raised.value.field == "DueDate"
    assert "DueDate" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1541176592690+0000)/", datetime(2018, 11, 2, 16, 36, 32, 690000, tzinfo=UTC)),
        ("/Date(1451988985943+1300)/", datetime(2016, 1, 5, 10, 16, 25, 943000, tzinfo=UTC)),  # ms are UTC
        ("/Date(-1000)/", datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_ms_datetimes_are_aware_utc_instants(value, expected):
    parsed = parse_ms_datetime(value, "UpdatedDateUTC")
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_datestring_wins_over_the_ms_date():
    invoice = parse_invoice(invoice_json(DateString="2018-10-21T00:00:00", DueDateString="2018-12-31T00:00:00"))
    assert invoice.date == date(2018, 10, 21)
    assert invoice.due_date == date(2018, 12, 31)


def test_ms_date_is_used_when_datestring_is_absent():
    data = invoice_json(Date="/Date(1419937200000+1300)/")
    del data["DateString"], data["DueDateString"], data["DueDate"]
    invoice = parse_invoice(data)
    assert invoice.date == date(2014, 12, 30)
    assert invoice.due_date is None


def test_bad_datestring_is_named():
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(invoice_json(DateString="20/10/2018"))
    assert raised.value.field == "DateString"


def test_invoice_reads_every_field(invoice_data):
    invoice = parse_invoice(from_wire(invoice_data))
    assert invoice.invoice_id == "046d8a6d-1ae1-4b4d-9340-5601bdf41b87"
    assert invoice.invoice_number == "INV-0002"
    assert invoice.type is InvoiceType.ACCREC
    assert invoice.status is InvoiceStatus.PAID
    assert (invoice.contact_id, invoice.contact_name) == ("a3675fc4-f8dd-4f03-ba5b-f1870566bcd7", "Barney Rubble-83203")
    assert invoice.total == Money(Decimal("46.0"), "NZD")
    assert invoice.amount_due.is_zero
    assert invoice.updated_at == datetime(2018, 11, 2, 16, 36, 32, 690000, tzinfo=UTC)
    assert invoice.reference == "Red Fish, Blue Fish"
    [payment] = invoice.payments
    assert payment.date == date(2018, 11, 29)
    assert payment.amount == Money(Decimal("46.0"), "NZD")


def test_money_is_exact_decimal_from_the_wire():
    body = load_json('{"Total": 0.10, "AmountDue": 1234567.89, "AmountPaid": 0.20}')
    invoice = parse_invoice({**invoice_json(), **body})
    assert invoice.total.amount == Decimal("0.10")
    assert str(invoice.total.amount) == "0.10"  # the two decimals Xero wrote survive
    assert invoice.amount_due.amount == Decimal("1234567.89")
    assert (invoice.total + invoice.amount_paid).amount == Decimal("0.30")  # not 0.30000000000000004


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("46.00"), "46.00"), (46, "46"), (0.1, "0.1"), (-5.5, "-5.5")],
)
def test_amounts_become_exact_decimals(value, expected):
    amount = parse_invoice(invoice_json(Total=value)).total.amount
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


@pytest.mark.parametrize("value", [True, None, [], {}, "lots", float("nan"), float("inf"), Decimal("NaN"), "Infinity"])
def test_bad_amounts_are_named(value):
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(invoice_json(AmountDue=value))
    assert raised.value.field == "AmountDue"


def test_unknown_currency_is_bad_data():
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(invoice_json(CurrencyCode="XYZ"))
    assert raised.value.field == "CurrencyCode"


@pytest.mark.parametrize(
    "field", ["InvoiceID", "Type", "Status", "Contact", "CurrencyCode", "Total", "AmountDue", "UpdatedDateUTC"]
)
def test_missing_required_invoice_field_is_named(field):
    data = invoice_json()
    del data[field]
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(data)
    assert raised.value.field == field


def test_missing_date_in_both_forms_is_named():
    data = invoice_json()
    del data["Date"], data["DateString"]
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(data)
    assert raised.value.field == "Date"


@pytest.mark.parametrize(("field", "value"), [("Type", "ACCRECCREDIT"), ("Status", "ARCHIVED"), ("Type", None)])
def test_unknown_enum_values_are_bad_data(field, value):
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(invoice_json(**{field: value}))
    assert raised.value.field == field


def test_nested_bad_fields_name_their_path():
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(invoice_json(Contact={"Name": "No id"}))
    assert raised.value.field == "Contact.ContactID"
    with pytest.raises(BadXeroData) as raised:
        parse_invoice(invoice_json(Payments=[{"PaymentID": "p1", "Date": "/Date(0)/", "Amount": "lots"}]))
    assert raised.value.field == "Payments[].Amount"


def test_missing_optional_fields_take_defaults():
    data = invoice_json()
    for optional in ("InvoiceNumber", "Reference", "AmountPaid", "AmountCredited", "Payments", "CreditNotes"):
        del data[optional]
    invoice = parse_invoice(data)
    assert invoice.invoice_number == ""
    assert invoice.amount_paid == Money.zero("NZD")
    assert invoice.payments == () and invoice.credits == ()


def test_applied_credits_of_every_kind():
    data = invoice_json(
        CreditNotes=[
            {
                "CreditNoteID": "cn1",
                "CreditNoteNumber": "CN-1",
                "Date": "/Date(1543449600000+0000)/",
                "AppliedAmount": 10,
            }
        ],
        Overpayments=[{"OverpaymentID": "op1", "AppliedAmount": 2.5}],
        Prepayments=[{"PrepaymentID": "pp1", "DateString": "2018-11-01T00:00:00", "AppliedAmount": 1}],
    )
    credits = parse_invoice(from_wire(data)).credits
    assert [(c.kind, c.credit_id, c.number) for c in credits] == [
        (CreditKind.CREDIT_NOTE, "cn1", "CN-1"),
        (CreditKind.OVERPAYMENT, "op1", ""),
        (CreditKind.PREPAYMENT, "pp1", ""),
    ]
    assert credits[0].applied == Money(Decimal(10), "NZD")
    assert credits[1].date is None
    assert credits[2].date == date(2018, 11, 1)


def test_invoice_page_reads_pagination():
    body = from_wire(
        {"pagination": {"page": 2, "pageSize": 1, "pageCount": 3, "itemCount": 3}, "Invoices": [invoice_json()]}
    )
    page = parse_invoice_page(body, page=2, page_size=1)
    assert (page.page, page.page_size, page.page_count, page.item_count) == (2, 1, 3, 3)
    assert len(page.invoices) == 1


def test_contact():
    contact = parse_contact(
        {
            "ContactID": "c1",
            "Name": "Ōtautahi <b>Ltd</b>",
            "EmailAddress": "a@b.test",
            "IsCustomer": True,
            "ContactStatus": "ARCHIVED",
        }
    )
    assert contact.name == "Ōtautahi <b>Ltd</b>"
    assert contact.is_customer and not contact.is_supplier
    assert contact.status is ContactStatus.ARCHIVED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"Name": "x"}, "ContactID"),
        ({"ContactID": "c1"}, "Name"),
        ({"ContactID": "c", "Name": "n", "IsCustomer": "yes"}, "IsCustomer"),
        ({"ContactID": "c", "Name": "n", "ContactStatus": "GONE"}, "ContactStatus"),
    ],
)
def test_bad_contacts(data, field):
    with pytest.raises(BadXeroData) as raised:
        parse_contact(data)
    assert raised.value.field == field


def test_organisation_and_its_base_currency():
    org = parse_organisation({"OrganisationID": "o1", "Name": "Demo", "ShortCode": "!mBdtL", "BaseCurrency": "NZD"})
    assert (org.short_code, org.base_currency) == ("!mBdtL", "NZD")
    with pytest.raises(BadXeroData) as raised:
        parse_organisation({"OrganisationID": "o1", "Name": "Demo", "ShortCode": "!x", "BaseCurrency": "ZZZ"})
    assert raised.value.field == "BaseCurrency"


def test_connection_dates_without_zone_are_utc():
    connection = parse_connection(
        {
            "id": "c1",
            "tenantId": "t1",
            "tenantType": "ORGANISATION",
            "tenantName": "Demo",
            "authEventId": "e1",
            "createdDateUtc": "2019-12-07T18:46:19.5165400",
            "updatedDateUtc": "2019-12-07T18:46:19",
        }
    )
    assert connection.created_at == datetime(2019, 12, 7, 18, 46, 19, 516540, tzinfo=UTC)
    assert connection.auth_event_id == "e1"


def test_token_set_expiry_follows_the_given_now():
    now = datetime(2026, 3, 1, 9, tzinfo=UTC)
    tokens = parse_token_set(
        {
            "access_token": "a",
            "refresh_token": "r",
            "expires_in": 1800,
            "token_type": "Bearer",
            "scope": "openid accounting.invoices.read",
            "id_token": "i",
        },
        now,
    )
    assert tokens.expires_at == now + timedelta(minutes=30)
    assert tokens.scope == ("openid", "accounting.invoices.read")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"refresh_token": "r", "expires_in": 1800}, "access_token"),
        ({"access_token": "a", "expires_in": 1800}, "refresh_token"),  # offline_access was not granted
        ({"access_token": "a", "refresh_token": "r"}, "expires_in"),
        ({"access_token": "a", "refresh_token": "r", "expires_in": "soon"}, "expires_in"),
    ],
)
def test_bad_token_sets(data, field):
    with pytest.raises(BadXeroData) as raised:
        parse_token_set(data, datetime(2026, 3, 1, tzinfo=UTC))
    assert raised.value.field == field
