"""Seeded data (deterministic, covering every case the panel must show) and the where/order parser."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from devkit.emulator.query import (
    BOOL,
    DATE,
    GUID,
    STRING,
    Field,
    QueryParseError,
    compile_order,
    compile_where,
    sort_rows,
)
from devkit.emulator.seed import (
    BIG_CUSTOMER_INVOICES,
    DEMO_EMAIL,
    SCRIPT_CONTACT_NAME,
    SHARED_EMAIL,
    build_large_organisation,
    build_seed,
)

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def seeded():
    return build_seed(1, TODAY)


def _snapshot(data):
    invoices = [i for d in data.orgs.values() for i in d.invoices.values()]
    return [(i.invoice_id, i.number, i.total, i.status, i.date) for i in invoices]


def test_the_same_seed_gives_the_same_data_and_another_seed_differs(seeded):
    assert _snapshot(build_seed(1, TODAY)) == _snapshot(seeded)
    assert _snapshot(build_seed(2, TODAY)) != _snapshot(seeded)


def test_two_organisations_with_different_currencies_and_short_codes(seeded):
    orgs = [d.org for d in seeded.orgs.values()]

    assert len({o.base_currency for o in orgs}) == len(orgs) >= 2
    assert all(o.short_code.startswith("!") for o in orgs)
    assert len(seeded.users[DEMO_EMAIL].tenant_ids) == 2
    assert any(len(u.tenant_ids) == 1 for u in seeded.users.values())


def test_contacts_and_invoices_cover_the_panels_cases(seeded):
    contacts = [c for d in seeded.orgs.values() for c in d.contacts.values()]
    invoices = [i for d in seeded.orgs.values() for i in d.invoices.values()]
    studio = next(iter(seeded.orgs.values()))

    assert len(contacts) >= 40 and len(invoices) >= 400
    assert {c.status for c in contacts} == {"ACTIVE", "ARCHIVED"}
    assert any(c.is_supplier and not c.is_customer for c in contacts)
    assert Counter(c.email for c in contacts)[SHARED_EMAIL] == 2
    assert any(c.name == SCRIPT_CONTACT_NAME for c in contacts)
    assert any(not c.name.isascii() for c in contacts)
    assert {i.status for i in invoices} == {"DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"}
    assert {i.type for i in invoices} == {"ACCREC", "ACCPAY"}
    assert len({i.currency for i in studio.invoices.values()}) == 3
    assert max(len(studio.invoices_of(c)) for c in studio.contacts) == BIG_CUSTOMER_INVOICES > 250
    open_invoices = [i for i in invoices if i.status == "AUTHORISED"]
    assert any(i.due_date < TODAY for i in open_invoices) and any(i.due_date >= TODAY for i in open_invoices)
    assert any(2 <= len(i.payments) <= 4 and i.amount_due > 0 for i in open_invoices)
    assert any(i.credits and i.status in ("PAID", "AUTHORISED") for i in invoices)


def test_amounts_add_up(seeded):
    for data in seeded.orgs.values():
        for invoice in data.invoices.values():
            assert invoice.total == invoice.sub_total + invoice.total_tax
            if invoice.status == "PAID":
                assert invoice.amount_due == 0
            if invoice.status == "AUTHORISED":
                assert invoice.amount_due > 0


def test_large_organisations_have_the_size_asked_for():
    data = build_large_organisation(1, TODAY, invoices=2_000, contacts=50)

    assert len(data.invoices) == 2_000 and len(data.contacts) == 50


# --- where / order --------------------------------------------------------------------------------------------

FIELDS = {
    "Name": Field(STRING, lambda r: r.name), "Date": Field(DATE, lambda r: r.day),
    "IsCustomer": Field(BOOL, lambda r: r.customer), "Contact.ContactID": Field(GUID, lambda r: r.cid),
    "EmailAddress": Field(STRING, lambda r: r.email),
}
ROWS = [
    SimpleNamespace(name="Acme", day=date(2026, 1, 5), customer=True, cid="aaaaaaaa-0000-4000-8000-000000000001",
                    email="a@x.test"),
    SimpleNamespace(name="Beta", day=date(2025, 12, 1), customer=False, cid="bbbbbbbb-0000-4000-8000-000000000002",
                    email=None),
]


def _names(where):
    predicate = compile_where(where, FIELDS, "Contact")
    return [r.name for r in ROWS if predicate(r)]


@pytest.mark.parametrize(("where", "names"), [
    ('Name=="acme"', ["Acme"]),
    ('Name!="Acme"', ["Beta"]),
    ("IsCustomer==true", ["Acme"]),
    ("IsCustomer", ["Acme"]),
    ("Date >= DateTime(2026, 01, 01)", ["Acme"]),
    ('Date < DateTime.Parse("2026-01-01T00:00:00")', ["Beta"]),
    ('Contact.ContactID==Guid("BBBBBBBB-0000-4000-8000-000000000002")', ["Beta"]),
    ('Contact.ContactID=GUID("aaaaaaaa-0000-4000-8000-000000000001")', ["Acme"]),
    ('Name.StartsWith("ac") OR Name.Contains("et")', ["Acme", "Beta"]),
    ('EmailAddress!=null&&EmailAddress.EndsWith("@X.TEST")', ["Acme"]),
    ("EmailAddress==null", ["Beta"]),
    ('NOT (Name=="Acme") AND !IsCustomer', ["Beta"]),
])
def test_where_expressions_xero_clients_send(where, names):
    assert _names(where) == names


@pytest.mark.parametrize("where", ["", 'Name=="Acme" &&', 'IsCustomer=="true"', "Date > 5", 'Name > "A"',
                                   'Nope=="x"', 'Name.Reverse("x")', "Date >= DateTime(2026, 13, 1)", '"x"=="x"',
                                   'Name=="open', "Name == #"])
def test_what_the_parser_cannot_read_is_a_query_parse_error(where):
    with pytest.raises(QueryParseError):
        compile_where(where, FIELDS, "Contact")


def test_order_sorts_by_several_keys_and_rejects_unknown_fields():
    rows = sort_rows(list(ROWS), compile_order("IsCustomer DESC, Name", FIELDS, "Contact"))

    assert [r.name for r in rows] == ["Acme", "Beta"]
    assert [r.name for r in sort_rows(list(ROWS), compile_order("Date", FIELDS, "Contact"))] == ["Beta", "Acme"]
    with pytest.raises(QueryParseError):
        compile_order("Colour DESC", FIELDS, "Contact")


def test_updated_datetimes_compare_with_datetime_literals():
    fields = {"UpdatedDateUTC": Field(DATE, lambda r: r)}
    predicate = compile_where("UpdatedDateUTC > DateTime(2026, 2, 1, 12, 0, 0)", fields, "Invoice")
    assert predicate(datetime(2026, 2, 1, 13, tzinfo=UTC)) and not predicate(datetime(2026, 2, 1, 11, tzinfo=UTC))
