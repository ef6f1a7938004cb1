"""A stand-in for go.xero.com deep links, so the demo's "Open in Xero" lands on a page showing the invoice.

Understands the org-scoped form `/go/organisationlogin/default.aspx?shortcode=!x&redirecturl=/AccountsReceivable/
View.aspx?InvoiceID=…` (also AccountsPayable and /Contacts/View/<id>), and `/go/app/<shortcode>/invoicing/view/<id>`.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template_string, request

from devkit.emulator.gate import state
from devkit.emulator.seed import OrgData

bp = Blueprint("emulator_deeplink", __name__, url_prefix="/go")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} | Xero (emulator)</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}h1{color:#13b5ea}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}
.num{text-align:right}.banner{background:#fff4ce;padding:.5rem 1rem;border-radius:4px}</style></head><body>
<p class="banner">Xero emulator: a stand-in for go.xero.com. Organisation <strong>{{ org.name }}</strong>
({{ org.short_code }})</p>
{% if invoice %}
<h1>{{ "Bill" if invoice.type == "ACCPAY" else "Invoice" }} {{ invoice.number }}</h1>
<p>To: <strong>{{ contact.name }}</strong> &middot; Reference: {{ invoice.reference }}
&middot; Status: {{ invoice.status }}</p>
<p>Date {{ invoice.date }} &middot; Due {{ invoice.due_date }} &middot; Currency {{ invoice.currency }}</p>
<table><tr><th>Description</th><th class="num">Qty</th><th class="num">Unit price</th><th class="num">Amount</th></tr>
{% for line in invoice.lines %}<tr><td>{{ line.description }}</td><td class="num">{{ line.quantity }}</td>
<td class="num">{{ line.unit_amount }}</td><td class="num">{{ line.line_amount }}</td></tr>{% endfor %}
<tr><td colspan="3">Total (incl. tax {{ invoice.total_tax }})</td><td class="num">{{ invoice.total }}</td></tr>
<tr><td colspan="3">Paid</td><td class="num">{{ invoice.amount_paid }}</td></tr>
<tr><td colspan="3">Credited</td><td class="num">{{ invoice.amount_credited }}</td></tr>
<tr><th colspan="3">Amount due</th><th class="num">{{ invoice.amount_due }}</th></tr></table>
{% if invoice.payments %}<h2>Payments</h2><ul>{% for p in invoice.payments %}
<li>{{ p.date }}: {{ p.amount }} {{ p.reference }}</li>{% endfor %}</ul>{% endif %}
{% elif contact %}
<h1>{{ contact.name }}</h1><p>{{ contact.email }}</p>
{% else %}<h1>Dashboard</h1><p>Nothing found at that link.</p>{% endif %}
</body></html>
"""

_ID = re.compile(r"[0-9a-fA-F-]{36}")


def _org_by_short_code(short_code: str) -> OrgData | None:
    return next((d for d in state().orgs.values() if d.org.short_code == short_code), None)


def _render(data: OrgData | None, target: str) -> Response:
    if data is None:
        return Response("Organisation not found", status=404, content_type="text/plain; charset=utf-8")
    found = _ID.search(target)
    key = found.group().lower() if found else ""
    invoice = data.invoices.get(key)
    contact = data.contacts.get(invoice.contact_id if invoice else key)
    title = f"Invoice {invoice.number}" if invoice else (contact.name if contact else "Dashboard")
    html = render_template_string(PAGE, title=title, org=data.org, invoice=invoice, contact=contact)
    return Response(html, status=200 if (invoice or contact or not key) else 404,
                    content_type="text/html; charset=utf-8")


@bp.get("/organisationlogin/default.aspx")
def organisation_login() -> Response:
    with state().lock:
        return _render(_org_by_short_code(request.args.get("shortcode", "")), request.args.get("redirecturl", ""))


@bp.get("/app/<short_code>/<path:rest>")
def app_path(short_code: str, rest: str) -> Response:
    with state().lock:
        return _render(_org_by_short_code(short_code), rest)
