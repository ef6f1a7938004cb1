"""Small builders for the panel's tests: invoices with only the fields a test cares about."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from plugin.domain.models import Invoice, InvoiceStatus, InvoiceType, Payment
from plugin.domain.money import Money

_ids = itertools.count(1)


def money(amount: str | int | Decimal, currency: str = "NZD") -> Money:
    return Money(Decimal(str(amount)), currency)


def make_payment(amount: str, on: str, *, currency: str = "NZD", reference: str = "") -> Payment:
    return Payment(payment_id=f"pay-{next(_ids)}", date=date.fromisoformat(on), amount=money(amount, currency),
                   reference=reference)


def make_invoice(
    *,
    number: str | None = None,
    total: str = "100.00",
    due: str | None = None,
    paid: str = "0",
    credited: str = "0",
    currency: str = "NZD",
    status: InvoiceStatus = InvoiceStatus.AUTHORISED,
    type: InvoiceType = InvoiceType.ACCREC,
    on: str = "2026-02-01",
    due_date: str | None = "2026-03-15",
    payments: tuple[Payment, ...] = (),
    invoice_id: str | None = None,
    contact_id: str = "contact-1",
) -> Invoice:
    """An invoice whose amount due is total - paid - credited unless `due` says otherwise."""
    serial = next(_ids)
    amount_due = Decimal(due) if due is not None else Decimal(total) - Decimal(paid) - Decimal(credited)
    return Invoice(
        invoice_id=invoice_id or f"inv-{serial:04d}",
        invoice_number=number or f"INV-{serial:04d}",
        type=type,
        status=status,
        contact_id=contact_id,
        contact_name="Acme Ltd",
        date=date.fromisoformat(on),
        due_date=date.fromisoformat(due_date) if due_date else None,
        currency=currency,
        total=money(total, currency),
        amount_due=money(amount_due, currency),
        amount_paid=money(paid, currency),
        amount_credited=money(credited, currency),
        updated_at=datetime(2026, 2, 1, tzinfo=UTC),
        payments=payments,
    )


def paid_invoice(**fields) -> Invoice:
    fields.setdefault("total", "100.00")
    return make_invoice(paid=fields["total"], status=InvoiceStatus.PAID, **fields)
