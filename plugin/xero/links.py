"""Links that open a record in Xero's web app."""

from __future__ import annotations

from plugin.domain.models import Invoice


def deep_link(deep_link_base: str, short_code: str | None, invoice: Invoice) -> str:
    """Opens the invoice in Xero, in the right organisation when its ShortCode is known."""
    ledger = "AccountsPayable" if invoice.is_bill else "AccountsReceivable"
    target = f"/{ledger}/View.aspx?InvoiceID={invoice.invoice_id}"
    base = deep_link_base.rstrip("/")
    if not short_code:
        return f"{base}{target}"
    return f"{base}/organisationlogin/default.aspx?shortcode={short_code}&redirecturl={target}"
