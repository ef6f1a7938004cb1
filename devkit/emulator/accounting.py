"""The Accounting API under /api.xro/2.0: Organisation, Contacts, Invoices (and their PDFs and online invoices),
Payments (read-only, GET).

Query parameters follow Xero's spec (operationIds getOrganisations, getContacts, getContact, getInvoices,
getInvoice, getInvoiceAsPdf, getOnlineInvoice, getPayments), including `unitdp=4` (four-decimal unit amounts) on the
invoice calls. Without `page`, list calls return every match (invoices without line items, as Xero does); with
`page`, `pageSize` items (default 100, at most 1000) and a `pagination` object.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from devkit.emulator import documents, responses, serialize
from devkit.emulator.gate import Caller, guarded, state
from devkit.emulator.query import (
    BOOL,
    DATE,
    GUID,
    NUMBER,
    STRING,
    Field,
    QueryParseError,
    compile_order,
    compile_where,
    sort_rows,
)
from devkit.emulator.records import Contact, Invoice, Payment
from devkit.emulator.seed import OrgData

bp = Blueprint("emulator_accounting", __name__, url_prefix="/api.xro/2.0")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def _invoice_fields(data: OrgData) -> dict[str, Field]:
    def contact_of(inv: Invoice) -> Contact:
        return data.contacts[inv.contact_id]

    return {
        "InvoiceID": Field(GUID, lambda i: i.invoice_id), "InvoiceNumber": Field(STRING, lambda i: i.number),
        "Reference": Field(STRING, lambda i: i.reference), "Type": Field(STRING, lambda i: i.type),
        "Status": Field(STRING, lambda i: i.status), "Date": Field(DATE, lambda i: i.date),
        "DueDate": Field(DATE, lambda i: i.due_date), "UpdatedDateUTC": Field(DATE, lambda i: i.updated),
        "FullyPaidOnDate": Field(DATE, lambda i: i.fully_paid_on),
        "Contact.ContactID": Field(GUID, lambda i: i.contact_id),
        "Contact.Name": Field(STRING, lambda i: contact_of(i).name),
        "Contact.ContactNumber": Field(STRING, lambda i: None),
        "CurrencyCode": Field(STRING, lambda i: i.currency), "Total": Field(NUMBER, lambda i: i.total),
        "SubTotal": Field(NUMBER, lambda i: i.sub_total), "TotalTax": Field(NUMBER, lambda i: i.total_tax),
        "AmountDue": Field(NUMBER, lambda i: i.amount_due), "AmountPaid": Field(NUMBER, lambda i: i.amount_paid),
        "AmountCredited": Field(NUMBER, lambda i: i.amount_credited),
        "SentToContact": Field(BOOL, lambda i: i.sent_to_contact), "HasAttachments": Field(BOOL, lambda i: False),
        "IsDiscounted": Field(BOOL, lambda i: False),
    }


CONTACT_FIELDS: dict[str, Field] = {
    "ContactID": Field(GUID, lambda c: c.contact_id), "Name": Field(STRING, lambda c: c.name),
    "FirstName": Field(STRING, lambda c: c.first_name or None),
    "LastName": Field(STRING, lambda c: c.last_name or None),
    "EmailAddress": Field(STRING, lambda c: c.email or None), "ContactStatus": Field(STRING, lambda c: c.status),
    "IsCustomer": Field(BOOL, lambda c: c.is_customer), "IsSupplier": Field(BOOL, lambda c: c.is_supplier),
    "AccountNumber": Field(STRING, lambda c: c.account_number or None),
    "ContactNumber": Field(STRING, lambda c: None), "DefaultCurrency": Field(STRING, lambda c: c.default_currency),
    "UpdatedDateUTC": Field(DATE, lambda c: c.updated),
}

PaymentRow = tuple[Payment, Invoice]
PAYMENT_FIELDS: dict[str, Field] = {
    "PaymentID": Field(GUID, lambda r: r[0].payment_id), "Date": Field(DATE, lambda r: r[0].date),
    "Amount": Field(NUMBER, lambda r: r[0].amount), "Reference": Field(STRING, lambda r: r[0].reference),
    "Status": Field(STRING, lambda r: r[0].status), "UpdatedDateUTC": Field(DATE, lambda r: r[0].updated),
    "PaymentType": Field(STRING, lambda r: "ACCRECPAYMENT" if r[1].type == "ACCREC" else "ACCPAYPAYMENT"),
    "Invoice.InvoiceID": Field(GUID, lambda r: r[1].invoice_id),
    "Invoice.InvoiceNumber": Field(STRING, lambda r: r[1].number),
    "Invoice.Contact.ContactID": Field(GUID, lambda r: r[1].contact_id),
    "IsReconciled": Field(BOOL, lambda r: r[0].date < r[1].due_date),
}


@bp.errorhandler(QueryParseError)
def _query_error(error: QueryParseError) -> Response:
    return responses.query_parse_error(str(error))


# --- Organisation ------------------------------------------------------------------------------------------

@bp.get("/Organisation")
@guarded("settings")
def organisation(caller: Caller) -> Response:
    data = state().orgs[caller.tenant_id]
    return _list_answer("Organisations", [serialize.organisation(data.org)])


# --- Contacts ----------------------------------------------------------------------------------------------

@bp.get("/Contacts")
@guarded("contacts")
def contacts(caller: Caller) -> Response:
    emulator = state()
    data = emulator.orgs[caller.tenant_id]
    rows: Iterable[Contact] = data.contacts.values()
    ids = _csv("IDs", lower=True)
    if ids:
        rows = [c for c in rows if c.contact_id in ids]
    if not _flag("includeArchived"):
        rows = [c for c in rows if c.status != "ARCHIVED"]
    term = request.args.get("searchTerm", "").strip().lower()
    if term:
        rows = [c for c in rows if any(term in (v or "").lower() for v in
                                       (c.name, c.first_name, c.last_name, c.email, c.account_number))]
    rows = _filter_and_sort(list(rows), CONTACT_FIELDS, "Contact", default_order="Name ASC",
                            modified=lambda c: c.updated)
    summary = _flag("summaryOnly")
    page = _page()
    today = emulator.clock.today()

    def render(c: Contact) -> dict[str, Any]:
        with_balances = page is not None and not summary
        return serialize.contact(c, data=data if with_balances else None, today=today, summary=summary)

    return _paged_answer("Contacts", rows, render, page)


@bp.get("/Contacts/<contact_id>")
@guarded("contacts")
def contact(caller: Caller, contact_id: str) -> Response:
    emulator = state()
    data = emulator.orgs[caller.tenant_id]
    found = data.contacts.get(contact_id.lower())
    if found is None:
        return responses.not_found()
    return _list_answer("Contacts", [serialize.contact(found, data=data, today=emulator.clock.today())])


# --- Invoices ----------------------------------------------------------------------------------------------

@bp.get("/Invoices")
@guarded("invoices")
def invoices(caller: Caller) -> Response:
    data = state().orgs[caller.tenant_id]
    rows = _invoice_candidates(data)
    numbers = {n.lower() for n in _csv("InvoiceNumbers")}
    if numbers:
        rows = [i for i in rows if i.number.lower() in numbers]
    ids = _csv("IDs", lower=True)
    if ids:
        rows = [i for i in rows if i.invoice_id in ids]
    statuses = {s.upper() for s in _csv("Statuses")}
    if statuses:
        rows = [i for i in rows if i.status in statuses]
    if _flag("createdByMyApp"):
        rows = [i for i in rows if i.created_by_app]
    term = request.args.get("searchTerm", "").strip().lower()
    if term:
        rows = [i for i in rows if term in i.number.lower() or term in i.reference.lower()]
    rows = _filter_and_sort(rows, _invoice_fields(data), "Invoice", default_order=None, modified=lambda i: i.updated)
    summary = _flag("summaryOnly")
    page = _page()
    unit_places = _unit_places()
    return _paged_answer("Invoices", rows, lambda i: serialize.invoice(
        i, data.contacts[i.contact_id], lines=page is not None, summary=summary, unit_places=unit_places), page)


def _invoice_candidates(data: OrgData) -> list[Invoice]:
    contact_ids = _csv("ContactIDs", lower=True)
    if not contact_ids:
        return list(data.invoices.values())
    return [i for cid in contact_ids for i in data.invoices_of(cid)]


@bp.get("/Invoices/<invoice_ref>")
@guarded("invoices")
def invoice(caller: Caller, invoice_ref: str) -> Response:
    """By InvoiceID, or by InvoiceNumber as Xero also allows; with `Accept: application/pdf`, Xero's PDF of it
    (getInvoiceAsPdf)."""
    data = state().orgs[caller.tenant_id]
    found = data.invoices.get(invoice_ref.lower()) or data.by_number.get(invoice_ref.lower())
    if found is None:
        return responses.not_found()
    if "application/pdf" in request.headers.get("Accept", "").lower():
        return Response(documents.pdf_of(found, data.contacts[found.contact_id]), content_type="application/pdf")
    return _list_answer("Invoices", [serialize.invoice(found, data.contacts[found.contact_id], lines=True,
                                                       full_contact=True, unit_places=_unit_places())])


@bp.get("/Invoices/<invoice_id>/OnlineInvoice")
@guarded("invoices")
def online_invoice(caller: Caller, invoice_id: str) -> Response:
    """The customer's online invoice URL (getOnlineInvoice); approved sales invoices only, else 400."""
    data = state().orgs[caller.tenant_id]
    found = data.invoices.get(invoice_id.lower())
    if found is None:
        return responses.not_found()
    if not documents.has_online_invoice(found):
        return documents.not_available()
    return _list_answer("OnlineInvoices", [{"OnlineInvoiceUrl": documents.online_invoice_url(found)}])


# --- Payments ----------------------------------------------------------------------------------------------

@bp.get("/Payments")
@guarded("payments")
def payments(caller: Caller) -> Response:
    data = state().orgs[caller.tenant_id]
    rows: list[PaymentRow] = [(p, i) for i in data.invoices.values() for p in i.payments]
    rows = _filter_and_sort(rows, PAYMENT_FIELDS, "Payment", default_order="Date ASC", modified=lambda r: r[0].updated)
    return _paged_answer("Payments", rows, lambda r: serialize.payment(r[0], r[1], data.contacts[r[1].contact_id]),
                         _page())


# --- shared parameter handling -----------------------------------------------------------------------------

def _csv(name: str, *, lower: bool = False) -> set[str]:
    raw = request.args.get(name, "")
    values = {v.strip() for v in raw.split(",") if v.strip()}
    return {v.lower() for v in values} if lower else values


def _flag(name: str) -> bool:
    return request.args.get(name, "").strip().lower() == "true"


def _unit_places() -> int:
    """`unitdp=4` opts in to four decimals for unit amounts; anything else leaves Xero's default of two."""
    return 4 if request.args.get("unitdp", "").strip() == "4" else 2


def _page() -> tuple[int, int] | None:
    """(page, page size) when `page` is given; Xero pages from 1."""
    raw = request.args.get("page")
    if raw is None:
        return None
    try:
        page = max(1, int(raw))
    except ValueError:
        page = 1
    try:
        size = int(request.args.get("pageSize", DEFAULT_PAGE_SIZE))
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    return page, min(max(1, size), MAX_PAGE_SIZE)


def _modified_since() -> datetime | None:
    raw = request.headers.get("If-Modified-Since", "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _filter_and_sort(rows: list, fields: dict[str, Field], type_name: str, *, default_order: str | None,
                     modified: Callable[[Any], datetime]) -> list:
    since = _modified_since()
    if since is not None:
        rows = [r for r in rows if modified(r) > since]
    where = request.args.get("where")
    if where is not None:
        predicate = compile_where(where, fields, type_name)
        rows = [r for r in rows if predicate(r)]
    order = request.args.get("order") or default_order
    if order:
        rows = sort_rows(rows, compile_order(order, fields, type_name))
    return rows


def _list_answer(key: str, items: list[dict[str, Any]], pagination: dict | None = None) -> Response:
    return responses.body(serialize.envelope(state().now(), key, items, pagination))


def _paged_answer(key: str, rows: list, render: Callable[[Any], dict[str, Any]],
                  page: tuple[int, int] | None) -> Response:
    if page is None:
        return _list_answer(key, [render(r) for r in rows])
    number, size = page
    chunk = rows[(number - 1) * size: number * size]
    return _list_answer(key, [render(r) for r in chunk], serialize.pagination(number, size, len(rows)))
