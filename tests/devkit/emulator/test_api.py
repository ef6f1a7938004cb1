"""Accounting API behaviour over real HTTP: errors as Xero sends them, paging, where/order, filters, formats."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from devkit.emulator.seed import BIG_CUSTOMER_INVOICES, BIG_CUSTOMER_NAME, HTML_REFERENCE, SHARED_EMAIL
from tests.devkit.emulator.conftest import Api


def _big_customer(api):
    contacts = api.get("Contacts", {"where": f'Name=="{BIG_CUSTOMER_NAME}"'}).json()["Contacts"]
    return contacts[0]["ContactID"]


def test_missing_tenant_header_is_403_authentication_unsuccessful(emulator, tokens):
    api = Api(emulator.url, tokens["access_token"], "")
    answer = api.get("Invoices")

    assert answer.status_code == 403
    assert answer.json()["Detail"] == "AuthenticationUnsuccessful" and answer.json()["Title"] == "Forbidden"


def test_a_tenant_the_user_never_connected_is_403(emulator, second_user_tokens, studio_id):
    answer = Api(emulator.url, second_user_tokens["access_token"], studio_id).get("Organisation")

    assert answer.status_code == 403


@pytest.mark.parametrize(("scopes", "path", "allowed"), [
    ("openid accounting.contacts.read", "Invoices", False),
    ("openid accounting.invoices.read", "Invoices", True),
    ("openid accounting.invoices.read", "Payments", False),
    ("openid accounting.payments.read", "Payments", True),
    ("openid accounting.transactions.read", "Invoices", True),
    ("openid accounting.transactions.read", "Payments", True),
    ("openid accounting.transactions.read", "Organisation", False),
    ("openid accounting.settings.read", "Organisation", True),
    ("openid accounting.invoices.read", "Contacts", False),
])
def test_scopes_open_their_endpoints_and_no_others(emulator, studio_id, scopes, path, allowed):
    tokens = emulator.state.issue_token_set(scopes=scopes)
    answer = Api(emulator.url, tokens["access_token"], studio_id).get(path)

    if allowed:
        assert answer.status_code == 200
    else:
        assert answer.status_code == 401 and answer.json()["Detail"] == "AuthorizationUnsuccessful"


def test_a_forged_token_is_rejected(emulator, studio_id):
    assert Api(emulator.url, "abc.def.ghi", studio_id).get("Organisation").status_code == 401


def test_unknown_ids_are_plain_text_404(api):
    for path in ("Invoices/00000000-0000-4000-8000-000000000000", "Contacts/00000000-0000-4000-8000-000000000000",
                 "NoSuchThing"):
        answer = api.get(path)
        assert answer.status_code == 404
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert answer.text == "The resource you're looking for cannot be found"


@pytest.mark.parametrize("where", ['Status=="PAID" AND', "Status = = 1", 'Bogus=="x"', 'Date >= "2026-01-01"',
                                   'Status=="PAID', "Type.Frobnicate()"])
def test_unparseable_where_is_400_query_parse_exception(api, where):
    answer = api.get("Invoices", {"where": where})

    assert answer.status_code == 400
    body = answer.json()
    assert (body["ErrorNumber"], body["Type"]) == (16, "QueryParseException") and body["Message"]


def test_unparseable_order_is_400(api):
    assert api.get("Invoices", {"order": "Nope DESC"}).status_code == 400
    assert api.get("Invoices", {"order": "Date SIDEWAYS"}).status_code == 400


def test_paging_walks_a_big_customer_with_the_pagination_object(api):
    contact_id = _big_customer(api)
    seen, page = [], 1
    while True:
        body = api.get("Invoices", {"ContactIDs": contact_id, "page": page, "pageSize": 100}).json()
        seen += [i["InvoiceID"] for i in body["Invoices"]]
        if len(body["Invoices"]) < 100:
            break
        page += 1

    assert body["pagination"] == {"page": 3, "pageSize": 100, "pageCount": 3, "itemCount": BIG_CUSTOMER_INVOICES}
    assert len(seen) == len(set(seen)) == BIG_CUSTOMER_INVOICES


def test_page_size_is_capped_at_1000_and_unpaged_lists_have_no_line_items(api):
    paged = api.get("Invoices", {"page": 1, "pageSize": 5000}).json()
    unpaged = api.get("Invoices").json()

    assert paged["pagination"]["pageSize"] == 1000
    assert "pagination" not in unpaged
    assert all(i["LineItems"] == [] for i in unpaged["Invoices"])
    assert any(i["LineItems"] for i in paged["Invoices"])


def test_where_on_contact_id_date_and_type_with_order(api):
    contact_id = _big_customer(api)
    where = (f'Contact.ContactID==Guid("{contact_id}") && Date >= DateTime(2025, 01, 01) '
             '&& (Type=="ACCREC" || Type=="ACCPAY")')
    invoices = api.get("Invoices", {"where": where, "order": "Date DESC"}).json()["Invoices"]

    dates = [i["DateString"] for i in invoices]
    assert invoices and dates == sorted(dates, reverse=True) and min(dates) >= "2025-01-01"
    assert {i["Contact"]["ContactID"] for i in invoices} == {contact_id}


def test_statuses_invoice_numbers_and_ids_filter(api):
    everything = api.get("Invoices").json()["Invoices"]
    some = everything[:3]
    by_number = api.get("Invoices", {"InvoiceNumbers": ",".join(i["InvoiceNumber"] for i in some)}).json()
    by_id = api.get("Invoices", {"IDs": ",".join(i["InvoiceID"] for i in some)}).json()
    drafts = api.get("Invoices", {"Statuses": "DRAFT,SUBMITTED"}).json()["Invoices"]

    assert {i["InvoiceID"] for i in by_number["Invoices"]} == {i["InvoiceID"] for i in some}
    assert {i["InvoiceID"] for i in by_id["Invoices"]} == {i["InvoiceID"] for i in some}
    assert drafts and {i["Status"] for i in drafts} <= {"DRAFT", "SUBMITTED"}


def test_an_invoice_can_be_fetched_by_its_number(api):
    first = api.get("Invoices", {"page": 1, "pageSize": 1}).json()["Invoices"][0]
    answer = api.get(f"Invoices/{first['InvoiceNumber']}").json()["Invoices"][0]

    assert answer["InvoiceID"] == first["InvoiceID"]
    assert "EmailAddress" in answer["Contact"]  # single fetches carry the full contact


def test_if_modified_since_returns_only_later_changes(emulator, api):
    cutoff = "2026-02-20T00:00:00"
    recent = api.get("Invoices", headers={"If-Modified-Since": cutoff}).json()["Invoices"]
    target = next(i for i in api.get("Invoices", {"Statuses": "AUTHORISED"}).json()["Invoices"]
                  if i["UpdatedDateUTCString"] < "2026-02-20" and i["AmountDue"] > 1)
    emulator.state.add_payment(target["InvoiceID"], "1.00")

    after = api.get("Invoices", headers={"If-Modified-Since": cutoff}).json()["Invoices"]
    assert all(i["UpdatedDateUTCString"] > cutoff for i in recent)
    assert {i["InvoiceID"] for i in after} == {i["InvoiceID"] for i in recent} | {target["InvoiceID"]}


def test_summary_only_drops_line_items_payments_and_credits_but_keeps_amounts(api):
    invoices = api.get("Invoices", {"summaryOnly": "true", "page": 1}).json()["Invoices"]

    assert invoices and all("LineItems" not in i and "Payments" not in i and "CreditNotes" not in i for i in invoices)
    assert all({"AmountDue", "AmountPaid", "Total", "Status"} <= set(i) for i in invoices)


def test_money_has_two_decimals_and_dates_are_ms_dates_with_date_strings(api):
    raw = api.get("Invoices", {"page": 1, "pageSize": 5}).text

    assert re.search(r'"Total": \d+\.\d{2}[,}]', raw)
    invoice = api.get("Invoices", {"page": 1, "pageSize": 5}).json()["Invoices"][0]
    assert re.fullmatch(r"/Date\(\d+\+0000\)/", invoice["Date"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00", invoice["DueDateString"])


def test_contacts_search_email_and_archived(api):
    shared = api.get("Contacts", {"where": f'EmailAddress=="{SHARED_EMAIL}"'}).json()["Contacts"]
    customers = api.get("Contacts", {"where": "IsCustomer==true AND ContactStatus==\"ACTIVE\""}).json()["Contacts"]
    active = api.get("Contacts").json()["Contacts"]
    everyone = api.get("Contacts", {"includeArchived": "true"}).json()["Contacts"]
    found = api.get("Contacts", {"searchTerm": "MÜLLER"}).json()["Contacts"]

    assert len(shared) == 2
    assert customers and all(c["IsCustomer"] for c in customers)
    assert len(everyone) > len(active) and "ARCHIVED" not in {c["ContactStatus"] for c in active}
    assert [c["Name"] for c in found] == ["Café Müller & Söhne"]


def test_html_looking_text_is_served_as_data(api):
    invoices = api.get("Invoices", {"where": 'Reference.StartsWith("<b>")'}).json()["Invoices"]

    assert [i["Reference"] for i in invoices] == [HTML_REFERENCE]
    assert invoices[0]["Contact"]["Name"] == "<script>alert(1)</script> Ltd"


def test_payments_list_their_invoice(api):
    payments = api.get("Payments", {"page": 1, "pageSize": 10}).json()

    assert payments["pagination"]["itemCount"] > 100
    assert all(p["Invoice"]["InvoiceID"] for p in payments["Payments"])
    assert {p["PaymentType"] for p in payments["Payments"]} <= {"ACCRECPAYMENT", "ACCPAYPAYMENT"}


def test_without_accept_json_the_answer_is_xml(api):
    answer = api.get("Organisation", headers={"Accept": "*/*"})

    assert answer.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "Response" and root.find("Organisations/Organisation/ShortCode").text.startswith("!")
