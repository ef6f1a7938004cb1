"""Links that open a record in Xero's web app.

Every part taken from Xero (the ShortCode, the invoice id) is URL-encoded, and the target screen is encoded
as one query value, so nothing Xero sends can add, change or cut off a parameter of the link.
"""

from __future__ import annotations

import functools
from urllib.parse import quote, urlencode

from plugin.domain.models import Invoice


def deep_link(deep_link_base: str, short_code: str | None, invoice: Invoice) -> str:
    """Opens the invoice in Xero, in the right organisation when its ShortCode is known."""
    return _link(deep_link_base, short_code or "", invoice.invoice_id, invoice.is_bill)


@functools.lru_cache(maxsize=16_384)  # a pure function of short strings: every render links its rows again
def _link(deep_link_base: str, short_code: str, invoice_id: str, is_bill: bool) -> str:
    ledger = "AccountsPayable" if is_bill else "AccountsReceivable"
    target = f"/{ledger}/View.aspx?{urlencode({'InvoiceID': invoice_id}, quote_via=quote)}"
    base = deep_link_base.rstrip("/")
    if not short_code:
        return f"{base}{target}"
    query = urlencode({"shortcode": short_code, "redirecturl": target}, quote_via=quote, safe="!/")
    return f"{base}/organisationlogin/default.aspx?{query}"
