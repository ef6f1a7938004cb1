"""The emulator's invoice PDFs and online invoices (getInvoiceAsPdf, getOnlineInvoice), and the in.xero.com stand-in."""

from __future__ import annotations

import requests


def _invoices(api):
    return api.get("Invoices").json()["Invoices"]


def test_an_approved_sales_invoice_has_an_online_invoice_that_opens(api, emulator):
    paid = next(i for i in _invoices(api) if i["Type"] == "ACCREC" and i["Status"] == "PAID")
    answer = api.get(f"Invoices/{paid['InvoiceID']}/OnlineInvoice")
    url = answer.json()["OnlineInvoices"][0]["OnlineInvoiceUrl"]
    assert url.startswith(f"{emulator.url}/in/")
    assert api.get(f"Invoices/{paid['InvoiceID']}/OnlineInvoice").json()["OnlineInvoices"][0]["OnlineInvoiceUrl"] == url
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and paid["InvoiceNumber"] in page.text


def test_drafts_bills_and_voided_invoices_have_no_online_invoice(api):
    invoices = _invoices(api)
    refused = [i for i in invoices if i["Type"] == "ACCPAY" or i["Status"] in ("DRAFT", "SUBMITTED", "VOIDED")]
    assert {i["Type"] for i in refused} == {"ACCREC", "ACCPAY"}
    for invoice in refused[:6]:
        answer = api.get(f"Invoices/{invoice['InvoiceID']}/OnlineInvoice")
        assert answer.status_code == 400 and answer.json()["Type"] == "ValidationException"
    assert api.get("Invoices/00000000-0000-0000-0000-000000000000/OnlineInvoice").status_code == 404
    assert requests.get(f"{api.base_url}/in/not-a-token", timeout=10).status_code == 404


def test_the_pdf_is_a_pdf_of_that_invoice_and_counts_as_a_call(api, emulator, studio_id):
    invoice = _invoices(api)[0]
    before = emulator.state.api_calls()
    answer = api.get(f"Invoices/{invoice['InvoiceID']}", headers={"Accept": "application/pdf"})
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-1.4") and answer.content.rstrip().endswith(b"%%EOF")
    assert invoice["InvoiceNumber"].encode() in answer.content
    assert emulator.state.api_calls() == before + 1
    assert "X-MinLimit-Remaining" in answer.headers
    missing = api.get("Invoices/00000000-0000-0000-0000-000000000000", headers={"Accept": "application/pdf"})
    assert missing.status_code == 404
