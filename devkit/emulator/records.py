"""The emulator's stored objects: plain mutable records, turned into Xero JSON by serialize.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@dataclass(slots=True)
class Organisation:
    tenant_id: str
    name: str
    legal_name: str
    base_currency: str
    country_code: str
    version: str
    short_code: str
    timezone: str
    tax_rate: Decimal
    created: datetime
    city: str
    line_of_business: str


@dataclass(slots=True)
class Contact:
    contact_id: str
    name: str
    first_name: str
    last_name: str
    email: str
    status: str  # ACTIVE | ARCHIVED
    is_customer: bool
    is_supplier: bool
    account_number: str
    default_currency: str
    phone: str
    street: str
    city: str
    postcode: str
    country: str
    updated: datetime


@dataclass(slots=True)
class LineItem:
    line_item_id: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str
    tax_type: str
    tax_amount: Decimal

    @property
    def line_amount(self) -> Decimal:
        return money(self.quantity * self.unit_amount)


@dataclass(slots=True)
class Payment:
    payment_id: str
    invoice_id: str
    date: date
    amount: Decimal
    reference: str
    updated: datetime
    account_code: str = "090"
    status: str = "AUTHORISED"


@dataclass(slots=True)
class Credit:
    """A credit note, overpayment or prepayment, with the part of it applied to one invoice."""

    kind: str  # CreditNote | Overpayment | Prepayment
    credit_id: str
    number: str
    date: date
    total: Decimal
    applied_amount: Decimal


@dataclass(slots=True)
class Invoice:
    invoice_id: str
    tenant_id: str
    type: str  # ACCREC | ACCPAY
    number: str
    reference: str
    contact_id: str
    date: date
    due_date: date
    status: str
    currency: str
    currency_rate: Decimal
    lines: list[LineItem]
    updated: datetime
    sent_to_contact: bool = False
    payments: list[Payment] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    created_by_app: bool = False

    @property
    def sub_total(self) -> Decimal:
        return money(sum((line.line_amount for line in self.lines), ZERO))

    @property
    def total_tax(self) -> Decimal:
        return money(sum((line.tax_amount for line in self.lines), ZERO))

    @property
    def total(self) -> Decimal:
        return self.sub_total + self.total_tax

    @property
    def amount_paid(self) -> Decimal:
        return money(sum((p.amount for p in self.payments if p.status == "AUTHORISED"), ZERO))

    @property
    def amount_credited(self) -> Decimal:
        return money(sum((c.applied_amount for c in self.credits), ZERO))

    @property
    def amount_due(self) -> Decimal:
        if self.status in ("VOIDED", "DELETED"):
            return ZERO
        return self.total - self.amount_paid - self.amount_credited

    @property
    def fully_paid_on(self) -> date | None:
        if self.status != "PAID":
            return None
        dates = [p.date for p in self.payments] + [c.date for c in self.credits]
        return max(dates) if dates else None


@dataclass(slots=True)
class User:
    user_id: str
    email: str
    password: str
    given_name: str
    family_name: str
    tenant_ids: tuple[str, ...]


@dataclass(slots=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: set[str]
    name: str


@dataclass(slots=True)
class Connection:
    connection_id: str
    user_id: str
    client_id: str
    tenant_id: str
    auth_event_id: str
    created: datetime
    updated: datetime


@dataclass(slots=True)
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: tuple[str, ...]
    auth_event_id: str
    expires: datetime
    code_challenge: str = ""
    code_challenge_method: str = ""
    used: bool = False


@dataclass(slots=True)
class RefreshGrant:
    token: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    auth_event_id: str
    issued: datetime
    rotated_at: datetime | None = None
    revoked: bool = False
