"""Xero's objects as small frozen types. Parsed once from JSON (see `parse.py`); views use only these.

The invoice types (Invoice, Payment, CreditAllocation, and Money) are frozen msgspec Structs: a page of 1,000
invoices builds thousands of them, which a Struct does in C, and a snapshot of them round-trips exactly through
msgspec's msgpack (Decimal, date, datetime, enums, nested tuples). `gc=False`: they hold only immutable values
(text, Decimal, dates, enums, tuples of other such Structs), so they can never be part of a reference cycle and
the garbage collector need not track them. The rest are few per request and stay frozen slots dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

import msgspec

from plugin.domain.money import Money


class InvoiceType(StrEnum):
    ACCREC = "ACCREC"  # sales invoice
    ACCPAY = "ACCPAY"  # bill


class InvoiceStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    DELETED = "DELETED"
    AUTHORISED = "AUTHORISED"
    PAID = "PAID"
    VOIDED = "VOIDED"


class ContactStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    GDPRREQUEST = "GDPRREQUEST"


class CreditKind(StrEnum):
    CREDIT_NOTE = "credit_note"
    OVERPAYMENT = "overpayment"
    PREPAYMENT = "prepayment"


@dataclass(frozen=True, slots=True)
class Organisation:
    organisation_id: str
    name: str
    short_code: str  # starts with "!"; makes deep links open the right organisation
    base_currency: str
    country_code: str = ""
    timezone: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    contact_id: str
    name: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    is_customer: bool = False
    is_supplier: bool = False
    status: ContactStatus = ContactStatus.ACTIVE


class Payment(msgspec.Struct, frozen=True, gc=False):
    payment_id: str
    date: date
    amount: Money
    reference: str = ""
    invoice_id: str = ""  # set for payments read from GET /Payments (inside an invoice it is that invoice)


class CreditAllocation(msgspec.Struct, frozen=True, gc=False):
    """A credit note, overpayment or prepayment applied to an invoice."""

    kind: CreditKind
    credit_id: str
    number: str
    date: date | None
    applied: Money


class Invoice(msgspec.Struct, frozen=True, gc=False):
    invoice_id: str
    invoice_number: str
    type: InvoiceType
    status: InvoiceStatus
    contact_id: str
    contact_name: str
    date: date
    due_date: date | None
    currency: str
    total: Money
    amount_due: Money
    amount_paid: Money
    amount_credited: Money
    updated_at: datetime
    reference: str = ""
    payments: tuple[Payment, ...] = ()
    credits: tuple[CreditAllocation, ...] = ()

    @property
    def balance(self) -> Money:
        """Xero's AmountDue: what is still owed."""
        return self.amount_due

    @property
    def is_bill(self) -> bool:
        return self.type is InvoiceType.ACCPAY


@dataclass(frozen=True, slots=True)
class Connection:
    """One organisation (tenant) the user connected, from GET /connections."""

    id: str
    tenant_id: str
    tenant_type: str
    tenant_name: str
    auth_event_id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: tuple[str, ...] = ()
    id_token: str = ""
    token_type: str = "Bearer"


@dataclass(frozen=True, slots=True)
class XeroIdentity:
    """Who connected, from the verified id_token."""

    xero_userid: str
    email: str
    given_name: str = ""
    family_name: str = ""
    auth_event_id: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """What Xero's X-*-Remaining headers said on the last answer (None when absent)."""

    minute_remaining: int | None = None
    day_remaining: int | None = None
    app_minute_remaining: int | None = None
    refused: str = ""  # a 429's X-Rate-Limit-Problem (lower case), else empty
    retry_after: int | None = None  # a 429's Retry-After seconds


@dataclass(frozen=True, slots=True)
class InvoicePage:
    invoices: tuple[Invoice, ...] = field(default_factory=tuple)
    page: int = 1
    page_size: int = 100
    item_count: int | None = None
    page_count: int | None = None
