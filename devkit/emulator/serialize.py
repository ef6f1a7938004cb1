"""Records -> Xero's JSON (and a minimal XML for callers that don't ask for JSON).

Xero's quirks kept on purpose: `/Date(ms+0000)/` beside DateString/DueDateString, money written with two decimals
(`46.00`, a JSON number; a line's UnitAmount with four when the caller asks with `unitdp=4`), the envelope
Id/Status/ProviderName/DateTimeUTC, and `pagination` on paged calls only.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from devkit.emulator.records import Contact, Credit, Invoice, Organisation, Payment
from devkit.emulator.seed import OrgData

PROVIDER_NAME = "Xero invoice panel (emulator)"
_MONEY_MARK = "\u0000M"
_MONEY_RE = re.compile(r'"\\u0000M(-?\d+\.\d+)"')


class Money(str):
    """A Decimal to be written as a bare JSON number with its own digits (json writes str subclasses as strings,
    then `dumps` unquotes them)."""


def amount(value: Decimal, places: int = 2) -> Money:
    return Money(f"{_MONEY_MARK}{value.quantize(Decimal(1).scaleb(-places))}")


def dumps(body: Any) -> str:
    return _MONEY_RE.sub(r"\1", json.dumps(body, ensure_ascii=False))


def ms_date(day: date) -> str:
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return f"/Date({int(midnight.timestamp() * 1000)}+0000)/"


def ms_datetime(moment: datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def date_string(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def envelope(now: datetime, key: str, items: list[dict], pagination: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": PROVIDER_NAME,
                            "DateTimeUTC": f"/Date({int(now.timestamp() * 1000)})/"}
    if pagination is not None:
        body["pagination"] = pagination
    body[key] = items
    return body


def pagination(page: int, page_size: int, item_count: int) -> dict[str, int]:
    return {"page": page, "pageSize": page_size, "pageCount": -(-item_count // page_size) if item_count else 0,
            "itemCount": item_count}


def organisation(org: Organisation) -> dict[str, Any]:
    return {
        "OrganisationID": org.tenant_id, "APIKey": "", "Name": org.name, "LegalName": org.legal_name,
        "PaysTax": True, "Version": org.version, "OrganisationType": "COMPANY", "BaseCurrency": org.base_currency,
        "CountryCode": org.country_code, "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3, "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "TWOMONTHS" if org.country_code == "NZ" else "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Inclusive",
        "CreatedDateUTC": ms_datetime(org.created), "OrganisationEntityType": "COMPANY",
        "Timezone": org.timezone, "ShortCode": org.short_code, "Edition": "BUSINESS", "Class": "STANDARD",
        "LineOfBusiness": org.line_of_business,
        "Addresses": [{"AddressType": "STREET", "City": org.city, "Country": org.country_code}],
        "Phones": [], "ExternalLinks": [], "PaymentTerms": {},
    }


def contact_summary(contact: Contact) -> dict[str, Any]:
    return {"ContactID": contact.contact_id, "Name": contact.name}


def contact(contact: Contact, *, data: OrgData | None = None, today: date | None = None,
            summary: bool = False) -> dict[str, Any]:
    """Full contact; `data` and `today` add Balances (Xero sends them on paged and single fetches)."""
    body: dict[str, Any] = {
        "ContactID": contact.contact_id, "ContactStatus": contact.status, "Name": contact.name,
        "FirstName": contact.first_name, "LastName": contact.last_name, "EmailAddress": contact.email,
        "BankAccountDetails": "", "IsSupplier": contact.is_supplier, "IsCustomer": contact.is_customer,
        "DefaultCurrency": contact.default_currency, "UpdatedDateUTC": ms_datetime(contact.updated),
        "HasAttachments": False, "HasValidationErrors": False,
    }
    if contact.account_number:
        body["AccountNumber"] = contact.account_number
    if summary:
        return body
    body["Addresses"] = [
        {"AddressType": "STREET", "AddressLine1": contact.street, "City": contact.city,
         "PostalCode": contact.postcode, "Country": contact.country},
        {"AddressType": "POBOX"},
    ]
    body["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": contact.phone}, {"PhoneType": "MOBILE"}]
    body["ContactPersons"] = []
    body["ContactGroups"] = []
    if data is not None and today is not None:
        body["Balances"] = balances(contact, data, today)
    return body


def balances(contact: Contact, data: OrgData, today: date) -> dict[str, Any]:
    """Outstanding and overdue in the base currency, as Xero's Balances are."""
    totals = {"ACCREC": [Decimal(0), Decimal(0)], "ACCPAY": [Decimal(0), Decimal(0)]}
    for invoice in data.invoices_of(contact.contact_id):
        if invoice.status != "AUTHORISED" or invoice.currency != data.org.base_currency:
            continue
        pair = totals[invoice.type]
        pair[0] += invoice.amount_due
        if invoice.due_date < today:
            pair[1] += invoice.amount_due
    return {
        "AccountsReceivable": {"Outstanding": amount(totals["ACCREC"][0]), "Overdue": amount(totals["ACCREC"][1])},
        "AccountsPayable": {"Outstanding": amount(totals["ACCPAY"][0]), "Overdue": amount(totals["ACCPAY"][1])},
    }


def invoice_payment(payment: Payment, invoice: Invoice) -> dict[str, Any]:
    return {"PaymentID": payment.payment_id, "Date": ms_date(payment.date), "Amount": amount(payment.amount),
            "CurrencyRate": amount(invoice.currency_rate, 6), "Reference": payment.reference,
            "HasAccount": False, "HasValidationErrors": False}


def credit(item: Credit) -> dict[str, Any]:
    body: dict[str, Any] = {f"{item.kind}ID": item.credit_id, "Date": ms_date(item.date),
                            "Total": amount(item.total), "AppliedAmount": amount(item.applied_amount)}
    if item.kind == "CreditNote":
        body["CreditNoteNumber"] = item.number
        body["DateString"] = date_string(item.date)
    return body


def invoice(invoice: Invoice, contact: Contact, *, lines: bool, full_contact: bool = False,
            summary: bool = False, unit_places: int = 2) -> dict[str, Any]:
    """One invoice. `lines`: include LineItems (paged and single fetches). `summary`: summaryOnly=true, which
    drops line items, payments and credits (totals and AmountDue/AmountPaid/AmountCredited stay). `unit_places`:
    decimals of the lines' UnitAmount (2, or 4 for `unitdp=4`)."""
    body: dict[str, Any] = {
        "Type": invoice.type, "InvoiceID": invoice.invoice_id, "InvoiceNumber": invoice.number,
        "Reference": invoice.reference,
    }
    if not summary:
        body["Payments"] = [invoice_payment(p, invoice) for p in invoice.payments if p.status == "AUTHORISED"]
        body["CreditNotes"] = [credit(c) for c in invoice.credits if c.kind == "CreditNote"]
        body["Prepayments"] = [credit(c) for c in invoice.credits if c.kind == "Prepayment"]
        body["Overpayments"] = [credit(c) for c in invoice.credits if c.kind == "Overpayment"]
    body.update({
        "AmountDue": amount(invoice.amount_due), "AmountPaid": amount(invoice.amount_paid),
        "AmountCredited": amount(invoice.amount_credited), "CurrencyRate": amount(invoice.currency_rate, 6),
        "IsDiscounted": False, "HasAttachments": False, "HasErrors": False, "SentToContact": invoice.sent_to_contact,
        "Contact": contact_fields(contact, full_contact),
        "DateString": date_string(invoice.date), "Date": ms_date(invoice.date),
        "DueDateString": date_string(invoice.due_date), "DueDate": ms_date(invoice.due_date),
        "Status": invoice.status, "LineAmountTypes": "Exclusive",
        "SubTotal": amount(invoice.sub_total), "TotalTax": amount(invoice.total_tax), "Total": amount(invoice.total),
        "UpdatedDateUTC": ms_datetime(invoice.updated),
        "UpdatedDateUTCString": invoice.updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "CurrencyCode": invoice.currency,
    })
    if lines and not summary:
        body["LineItems"] = [line_item(item, unit_places) for item in invoice.lines]
    elif not summary:
        body["LineItems"] = []
    paid_on = invoice.fully_paid_on
    if paid_on is not None:
        body["FullyPaidOnDate"] = ms_date(paid_on)
    return body


def contact_fields(item: Contact, full: bool) -> dict[str, Any]:
    return contact(item, summary=False) if full else contact_summary(item)


def line_item(item: Any, unit_places: int = 2) -> dict[str, Any]:
    """A line item; UnitAmount is rounded to two decimals unless the caller asked for four (unitdp=4)."""
    return {"LineItemID": item.line_item_id, "Description": item.description, "Quantity": amount(item.quantity, 4),
            "UnitAmount": amount(item.unit_amount, unit_places), "AccountCode": item.account_code,
            "TaxType": item.tax_type, "TaxAmount": amount(item.tax_amount), "LineAmount": amount(item.line_amount),
            "Tracking": []}


def payment(item: Payment, invoice: Invoice, contact: Contact) -> dict[str, Any]:
    """A payment as GET /Payments returns it, with a summary of its invoice."""
    return {
        "PaymentID": item.payment_id, "Date": ms_date(item.date), "BankAmount": amount(item.amount),
        "Amount": amount(item.amount), "Reference": item.reference, "CurrencyRate": amount(invoice.currency_rate, 6),
        "PaymentType": "ACCRECPAYMENT" if invoice.type == "ACCREC" else "ACCPAYPAYMENT",
        "Status": item.status, "UpdatedDateUTC": ms_datetime(item.updated), "HasAccount": True,
        "IsReconciled": item.date < invoice.due_date, "HasValidationErrors": False,
        "Account": {"AccountID": str(uuid.uuid5(uuid.NAMESPACE_OID, invoice.tenant_id + item.account_code)),
                    "Code": item.account_code},
        "Invoice": {"Type": invoice.type, "InvoiceID": invoice.invoice_id, "InvoiceNumber": invoice.number,
                    "Contact": contact_summary(contact), "CurrencyCode": invoice.currency,
                    "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
                    "HasErrors": False, "IsDiscounted": False, "LineItems": []},
    }


# --- XML (Xero's default when the caller does not send Accept: application/json) ------------------------------

_SINGULAR = {"Addresses": "Address", "Organisations": "Organisation"}


def to_xml(body: dict[str, Any]) -> str:
    root = ElementTree.Element("Response")
    for key, value in body.items():
        _xml_value(root, key, value)
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + ElementTree.tostring(root, encoding="unicode")


def _xml_value(parent: ElementTree.Element, key: str, value: Any) -> None:
    node = ElementTree.SubElement(parent, key[:1].upper() + key[1:])
    if isinstance(value, list):
        child_name = _SINGULAR.get(key, key[:-1] if key.endswith("s") else key)
        for item in value:
            _xml_value(node, child_name, item)
    elif isinstance(value, dict):
        for child_key, child_value in value.items():
            _xml_value(node, child_key, child_value)
    elif isinstance(value, Money):
        node.text = value.removeprefix(_MONEY_MARK)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)
