"""What Xero renders from an invoice for the customer: its PDF (GET Invoices/{InvoiceID} with Accept: application/pdf,
operationId getInvoiceAsPdf) and its online invoice (GET Invoices/{InvoiceID}/OnlineInvoice, getOnlineInvoice), with a
stand-in for in.xero.com so a copied payment link opens something in the demo.

Xero shows a sales invoice online once it is approved (AUTHORISED or PAID); drafts, invoices awaiting approval,
voided and deleted ones and bills have no online invoice, and asking gives a 400 ValidationException.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, render_template_string, request

from devkit.emulator import responses
from devkit.emulator.gate import state
from devkit.emulator.records import Contact, Invoice
from devkit.emulator.serialize import dumps

ONLINE_STATUSES = frozenset({"AUTHORISED", "PAID"})
_TOKEN_KEY = b"xero-emulator/online-invoice/v1"

bp = Blueprint("emulator_online", __name__, url_prefix="/in")


def has_online_invoice(invoice: Invoice) -> bool:
    return invoice.type == "ACCREC" and invoice.status in ONLINE_STATUSES


def online_token(invoice: Invoice) -> str:
    """Stable for an invoice, unguessable without the emulator's key (Xero's are opaque too)."""
    digest = hmac.new(_TOKEN_KEY, f"{invoice.tenant_id}:{invoice.invoice_id}".encode(), hashlib.sha256).digest()
    return digest.hex()[:40]


def online_invoice_url(invoice: Invoice) -> str:
    return f"{request.host_url.rstrip('/')}/in/{online_token(invoice)}"


def not_available() -> Response:
    """Xero's answer for an invoice it does not show online: a 400 ValidationException."""
    payload = {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
               "Elements": [{"ValidationErrors": [
                   {"Message": "Online invoices are only available for approved sales invoices"}]}]}
    return Response(dumps(payload), status=400, content_type=responses.JSON)


def pdf_of(invoice: Invoice, contact: Contact) -> bytes:
    """A small, valid one-page PDF naming the invoice (no fonts to embed: Helvetica is one of the standard 14)."""
    kind = "Bill" if invoice.type == "ACCPAY" else "Tax invoice"
    lines = [f"{kind} {invoice.number}", f"To: {contact.name}", f"Date {invoice.date}  Due {invoice.due_date}",
             f"Total {invoice.total} {invoice.currency}",
             f"Paid {invoice.amount_paid}  Credited {invoice.amount_credited}",
             f"Amount due {invoice.amount_due} {invoice.currency}", "Xero emulator"]
    text = "BT /F1 14 Tf 56 780 Td 18 TL " + " ".join(f"({_pdf_text(line)}) '" for line in lines) + " ET"
    stream = text.encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(value: str) -> str:
    ascii_only = value.encode("latin-1", "replace").decode("latin-1")
    return ascii_only.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Invoice {{ invoice.number }} | Xero online invoice (emulator)</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}.banner{background:#fff4ce;padding:.5rem 1rem}
</style></head><body>
<p class="banner">Xero emulator: a stand-in for in.xero.com (the customer's online invoice).</p>
<h1>Invoice {{ invoice.number }}</h1><p>To {{ contact.name }}</p>
<p>Total {{ invoice.total }} {{ invoice.currency }}
&middot; Amount due {{ invoice.amount_due }} {{ invoice.currency }}</p>
<p>{% if invoice.amount_due > 0 %}<button type="button" disabled>Pay now</button>
{% else %}Paid. Thank you.{% endif %}</p>
</body></html>"""


@bp.get("/<token>")
def online_invoice_page(token: str) -> Response:
    emulator = state()
    with emulator.lock:
        for data in emulator.orgs.values():
            for invoice in data.invoices.values():
                if has_online_invoice(invoice) and hmac.compare_digest(online_token(invoice), token):
                    html = render_template_string(PAGE, invoice=invoice, contact=data.contacts[invoice.contact_id])
                    return Response(html, content_type="text/html; charset=utf-8")
    return responses.not_found()
