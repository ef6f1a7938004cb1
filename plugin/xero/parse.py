"""The one parser from Xero's JSON to the frozen models: msgspec typed structures, then a short conversion.

msgspec decodes each answer straight into the `_Wire*` structures below, named as Xero names its fields: every
number an exact Decimal (the digits Xero wrote: "46.00" stays 46.00, 0.1 + 0.2 is 0.3), enums and currency codes
checked in C, and everything we do not show (LineItems, addresses, ...) skipped without being built. On a
1,000-invoice page this measured 14x to 18x xero-python's deserializer on a shared 2-core machine (`python -m
devkit.bench_parse`), where `json.loads` into dicts and two hand-written readers reached 4x; about half the time
is msgspec's decode, half the conversion below. A short conversion then builds the models from
the structures, reading only what msgspec cannot: Xero's `/Date(ms±hhmm)/` form and which of the two date forms
wins. Every error, msgspec's or the conversion's, becomes BadXeroData naming the field path
(`Payments[].Amount`), the value Xero sent there and the reason.

Dates follow Xero's meaning: `/Date(ms±hhmm)/` carries the UTC instant in milliseconds; an invoice date is the
UTC calendar date of that instant (never converted to server-local time), and DateString/DueDateString (the
org-local date as written, `2018-10-20T00:00:00`) win when present.

A page of invoices is decoded in one typed pass. Only when that fails (an invoice Xero sent that we cannot read)
is the page decoded again with each invoice kept as raw JSON and read on its own, so the bad one is named and
left out while the others are kept (`read_invoices`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from babel.numbers import list_currencies

from plugin.domain.models import (
    Connection,
    Contact,
    ContactStatus,
    CreditAllocation,
    CreditKind,
    Invoice,
    InvoicePage,
    InvoiceStatus,
    InvoiceType,
    Organisation,
    Payment,
    TokenSet,
)
from plugin.domain.money import Money
from plugin.xero.errors import BadXeroData

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = _EPOCH.toordinal()
_DAY_MS = 86_400_000
# Below 2**32 seconds (the year 2106) a double's error in millis / 1000 is under half a microsecond, so
# datetime.fromtimestamp, which rounds to the nearest microsecond, gives the exact millisecond instant, quicker
# than epoch + timedelta. Beyond, and before 1970 (where fromtimestamp fails on some platforms): epoch + timedelta.
_FLOAT_EXACT_MS = 2**32 * 1000
_MS_DATE = re.compile(r"/Date\((-?[0-9]{1,15})(?:([+-])([0-9]{2})([0-9]{2})?)?\)/")
_USUAL_MS = re.compile(r"/Date\(([0-9]{1,15})\+0000\)/").fullmatch
_ZERO = Decimal("0.00")
_CURRENCIES = frozenset(list_currencies())
_W = TypeVar("_W")

# What msgspec checks while decoding, in C.
Currency = Literal[tuple(sorted(_CURRENCIES))]  # type: ignore[valid-type]  # an ISO 4217 code Xero could send
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]  # ids: absent, null and "" are all "missing"


def load_json(text: str | bytes) -> Any:
    """Decode a Xero body untyped (dicts and lists), every number with a fraction read as an exact Decimal.

    For the bodies read as dicts (contacts, organisation, payments, errors, tokens) and to hand an unreadable
    invoice to `on_unreadable` as Xero sent it. Raises msgspec.DecodeError, a ValueError, when it is not JSON.
    """
    return _UNTYPED.decode(text)


_UNTYPED = msgspec.json.Decoder(float_hook=Decimal)


# -- what Xero sends, as msgspec decodes it -------------------------------------------------------------------------
# Optional text is `str | None` because Xero writes null as often as it leaves a field out; the conversion reads
# both as "". `gc=False`: decoded JSON cannot hold a reference cycle, so the collector need not track these.


class _Wire(msgspec.Struct, gc=False):
    pass


class _WireContactRef(_Wire):
    ContactID: NonEmpty
    Name: str | None = None


class _WirePayment(_Wire):
    """A payment inside an invoice (in the invoice's currency)."""

    PaymentID: NonEmpty
    Amount: Decimal
    Date: str | None = None
    DateString: str | None = None
    Reference: str | None = None


class _WireInvoiceRef(_Wire):
    InvoiceID: NonEmpty
    CurrencyCode: Currency


class _WireAccountPayment(_Wire):
    """A payment from GET /Payments: it names its invoice, whose currency it is in."""

    PaymentID: NonEmpty
    Amount: Decimal
    Invoice: _WireInvoiceRef
    Date: str | None = None
    DateString: str | None = None
    Reference: str | None = None


class _WireCreditNote(_Wire):
    CreditNoteID: NonEmpty
    CreditNoteNumber: str | None = None
    Date: str | None = None
    DateString: str | None = None
    AppliedAmount: Decimal | None = None


class _WireOverpayment(_Wire):
    OverpaymentID: NonEmpty
    Date: str | None = None
    DateString: str | None = None
    AppliedAmount: Decimal | None = None


class _WirePrepayment(_Wire):
    PrepaymentID: NonEmpty
    Date: str | None = None
    DateString: str | None = None
    AppliedAmount: Decimal | None = None


class _WireInvoice(_Wire):
    InvoiceID: NonEmpty
    Type: InvoiceType
    Status: InvoiceStatus
    Contact: _WireContactRef
    CurrencyCode: Currency
    Total: Decimal
    AmountDue: Decimal
    UpdatedDateUTC: str
    InvoiceNumber: str | None = None
    Reference: str | None = None
    Date: str | None = None
    DateString: str | None = None
    DueDate: str | None = None
    DueDateString: str | None = None
    AmountPaid: Decimal | None = None
    AmountCredited: Decimal | None = None
    Payments: tuple[_WirePayment, ...] | None = None
    CreditNotes: tuple[_WireCreditNote, ...] | None = None
    Overpayments: tuple[_WireOverpayment, ...] | None = None
    Prepayments: tuple[_WirePrepayment, ...] | None = None


class _WireInvoicePage(_Wire):
    Invoices: tuple[_WireInvoice, ...] | None = None
    pagination: Any = None  # read leniently, as before: only whole numbers in it are used


class _RawInvoicePage(_Wire):
    """The same page with each invoice left as its raw JSON, to read them one by one."""

    Invoices: list[msgspec.Raw] | None = None
    pagination: Any = None


class _WireContact(_Wire):
    ContactID: NonEmpty
    Name: NonEmpty
    EmailAddress: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    IsCustomer: bool = False
    IsSupplier: bool = False
    status: ContactStatus | None = msgspec.field(default=None, name="ContactStatus")  # (the name would hide the type)


class _WireOrganisation(_Wire):
    OrganisationID: NonEmpty
    Name: NonEmpty
    ShortCode: NonEmpty
    BaseCurrency: Currency
    CountryCode: str | None = None
    Timezone: str | None = None


class _WireConnection(_Wire):
    id: NonEmpty
    tenantId: NonEmpty
    tenantType: NonEmpty
    tenantName: str | None = None
    authEventId: str | None = None
    createdDateUtc: str | None = None
    updatedDateUtc: str | None = None


class _WireTokenSet(_Wire):
    access_token: NonEmpty
    refresh_token: NonEmpty  # missing when offline_access was not granted
    expires_in: Decimal
    scope: str | list[str] | None = None
    id_token: str | None = None
    token_type: str | None = None


_PAGE = msgspec.json.Decoder(_WireInvoicePage)
_RAW_PAGE = msgspec.json.Decoder(_RawInvoicePage)
_ONE_INVOICE = msgspec.json.Decoder(_WireInvoice)


# -- msgspec's errors as BadXeroData --------------------------------------------------------------------------------

_ERROR = re.compile(r"(?P<what>.*?)(?: - at `\$(?P<path>.*)`)?", re.DOTALL)
_MISSING_FIELD = re.compile(r"Object missing required field `(?P<name>.*)`", re.DOTALL)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_CURRENCY_FIELDS = ("CurrencyCode", "BaseCurrency")


def _bad_data(error: msgspec.ValidationError, sent: object, whole: str) -> BadXeroData:
    """msgspec's error (`Expected `decimal`, got `str` - at `$.Payments[0].Amount``) as BadXeroData: the path
    without list indices (`Payments[].Amount`, or `whole` for the object itself), the value found there in `sent`
    (the same JSON undecoded; None when absent) and the reason ("missing" for absent, null or empty)."""
    match = _ERROR.fullmatch(str(error))
    what, path = (match["what"], match["path"] or "") if match else (str(error), "")
    steps: list[str | int] = [key or int(index) for key, index in _STEP.findall(path)]
    missing = _MISSING_FIELD.fullmatch(what)
    if missing:
        steps.append(missing["name"])
    field = "".join("[]" if isinstance(step, int) else f".{step}" for step in steps).lstrip(".") or whole
    value = _value_at(sent, steps)
    if missing or value is None or value == "":
        reason = "missing"
    elif field.endswith(_CURRENCY_FIELDS):
        reason = "unknown currency code"
    else:
        reason = what
    return BadXeroData(field, value, reason)


def _value_at(sent: object, steps: list[str | int]) -> object:
    for step in steps:
        if isinstance(step, int) and isinstance(sent, list) and step < len(sent):
            sent = sent[step]
        elif isinstance(step, str) and isinstance(sent, Mapping):
            sent = sent.get(step)
        else:
            return None
    return sent


def _converted(obj: object, wire: type[_W], whole: str) -> _W:
    """An already-decoded object (a dict from load_json, or one a test built) checked into a wire structure."""
    try:
        return msgspec.convert(dict(obj) if isinstance(obj, Mapping) and type(obj) is not dict else obj, wire)
    except msgspec.ValidationError as error:
        raise _bad_data(error, obj, whole) from None


# -- dates -----------------------------------------------------------------------------------------------------------


def parse_ms_datetime(value: object, field: str) -> datetime:
    """The UTC instant of `/Date(ms)/` or `/Date(ms±hhmm)/`, as an aware datetime in UTC.

    The offset only says what the wall clock read where the value was made; the milliseconds are already UTC.
    Before 1970 it is built by adding a timedelta to the epoch, so negative values work on every platform.
    """
    if type(value) is str:
        usual = _USUAL_MS(value)  # /Date(digits+0000)/, what Xero nearly always writes
        if usual is not None:
            millis = int(usual[1])
            if millis < _FLOAT_EXACT_MS:
                return datetime.fromtimestamp(millis / 1000, UTC)
            try:
                return _EPOCH + timedelta(0, 0, 0, millis)  # (days, s, µs, ms): positional is quicker
            except OverflowError:
                raise BadXeroData(field, value, "date out of range") from None
    if not isinstance(value, str):
        raise BadXeroData(field, value, "expected a /Date(...)/ string")
    match = _MS_DATE.fullmatch(value)
    if match is None:
        raise BadXeroData(field, value, "expected /Date(milliseconds±hhmm)/")
    millis, _sign, hours, minutes = match.groups()
    if hours is not None and (int(hours) > 14 or int(minutes or 0) > 59):
        raise BadXeroData(field, value, "offset out of range")
    try:
        return _EPOCH + timedelta(0, 0, 0, int(millis))
    except OverflowError:
        raise BadXeroData(field, value, "date out of range") from None


def parse_ms_date(value: object, field: str) -> date:
    """The UTC calendar date of a `/Date(...)/` value, or the date of an ISO date string such as a DateString."""
    if type(value) is str:
        usual = _USUAL_MS(value)
        if usual is not None:
            try:  # straight from the count of days (floor division: before 1970 too), no datetime built
                return date.fromordinal(_EPOCH_DAY + int(usual[1]) // _DAY_MS)
            except ValueError:
                raise BadXeroData(field, value, "date out of range") from None
    if not isinstance(value, str):
        raise BadXeroData(field, value, "missing" if value is None else "expected a /Date(...)/ string")
    if not value.startswith("/Date("):
        return _iso_day(value, field)
    return parse_ms_datetime(value, field).date()


def _iso_day(value: str, field: str) -> date:
    """`2018-10-20` or `2018-10-20T00:00:00`: the calendar date as written (Xero writes the org-local date)."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise BadXeroData(field, value, "expected an ISO date") from None


def _day(text: str | None, value: str | None, text_field: str, field: str, *, required: bool = False) -> date | None:
    """The DateString form when set, else the /Date(...)/ one; None (or, when required, "missing") without either."""
    if text:
        return _iso_day(text, text_field)
    if value is None and not required:
        return None
    return parse_ms_date(value, field)


def parse_iso_datetime(value: object, field: str) -> datetime:
    """An ISO timestamp; one without a zone (as /connections sends) is taken as UTC."""
    if not isinstance(value, str):
        raise BadXeroData(field, value, "expected an ISO timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadXeroData(field, value, "expected an ISO timestamp") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _finite(amount: Decimal, field: str) -> Decimal:
    """msgspec reads "NaN" and "Infinity" strings as Decimals; no amount of money is either."""
    if not amount.is_finite():
        raise BadXeroData(field, str(amount), "expected a finite number")
    return amount


# -- invoices and payments ------------------------------------------------------------------------------------------


def _invoice(wire: _WireInvoice) -> Invoice:
    """The model of one decoded invoice. Amounts are in the invoice's currency; absent paid/credited are 0.00.

    This runs for every invoice of every page, so it is written for speed (a Python call is a tenth of the time
    an invoice takes here): models built with positional arguments in their field order, and Xero's usual date
    forms (DateString, `/Date(digits+0000)/`) read inline. Any other form, or a bad value, makes the inline reading
    raise (or, for UpdatedDateUTC, not match), and the helper (`_day`, `parse_ms_datetime`) then reads every
    accepted form or raises the error naming the field.
    """
    currency = wire.CurrencyCode
    total, due, paid, credited = wire.Total, wire.AmountDue, wire.AmountPaid, wire.AmountCredited
    if paid is None:
        paid = _ZERO
    if credited is None:
        credited = _ZERO
    if not (total.is_finite() and due.is_finite() and paid.is_finite() and credited.is_finite()):
        for field, amount in (("Total", total), ("AmountDue", due), ("AmountPaid", paid), ("AmountCredited", credited)):
            _finite(amount, field)
    text, value = wire.DateString, wire.Date
    try:
        day = _from_iso(text[:10]) if text else _from_ordinal(_EPOCH_DAY + int(_USUAL_MS(value)[1]) // _DAY_MS)
    except _UNUSUAL:
        day = _day(text, value, "DateString", "Date", required=True)
    text, value = wire.DueDateString, wire.DueDate
    due_day = None
    if text or value is not None:
        try:
            due_day = _from_iso(text[:10]) if text else _from_ordinal(_EPOCH_DAY + int(_USUAL_MS(value)[1]) // _DAY_MS)
        except _UNUSUAL:
            due_day = _day(text, value, "DueDateString", "DueDate")
    value = wire.UpdatedDateUTC
    usual = _USUAL_MS(value)
    millis = int(usual[1]) if usual else _FLOAT_EXACT_MS
    if millis < _FLOAT_EXACT_MS:
        updated_at = _from_timestamp(millis / 1000, UTC)
    else:
        updated_at = parse_ms_datetime(value, "UpdatedDateUTC")
    contact, payments = wire.Contact, wire.Payments
    return Invoice(
        wire.InvoiceID,
        wire.InvoiceNumber or "",
        wire.Type,
        wire.Status,
        contact.ContactID,
        contact.Name or "",
        day,
        due_day,
        currency,
        Money(total, currency),
        Money(due, currency),
        Money(paid, currency),
        Money(credited, currency),
        updated_at,
        wire.Reference or "",
        _payments(payments, currency) if payments else (),
        _credits(wire, currency) if wire.CreditNotes or wire.Overpayments or wire.Prepayments else (),
    )


# What the inline readings above raise for anything but the usual forms: a /Date(...)/ the regular expression
# does not match (None[1]: TypeError), an ISO date that is not one, a date past year 9999.
_UNUSUAL = (TypeError, ValueError, OverflowError)
_from_iso = date.fromisoformat
_from_timestamp = datetime.fromtimestamp
_from_ordinal = date.fromordinal


def _payments(items: tuple[_WirePayment, ...], currency: str) -> tuple[Payment, ...]:
    payments = []
    for item in items:
        text, value, amount = item.DateString, item.Date, item.Amount
        try:
            day = _from_iso(text[:10]) if text else _from_ordinal(_EPOCH_DAY + int(_USUAL_MS(value)[1]) // _DAY_MS)
        except _UNUSUAL:
            day = _day(text, value, "Payments[].DateString", "Payments[].Date", required=True)
        if not amount.is_finite():
            _finite(amount, "Payments[].Amount")
        payments.append(Payment(item.PaymentID, day, Money(amount, currency), item.Reference or "", ""))
    return tuple(payments)


def _credits(wire: _WireInvoice, currency: str) -> tuple[CreditAllocation, ...]:
    credits = []
    for field, kind, items in (
        ("CreditNotes", CreditKind.CREDIT_NOTE, wire.CreditNotes),
        ("Overpayments", CreditKind.OVERPAYMENT, wire.Overpayments),
        ("Prepayments", CreditKind.PREPAYMENT, wire.Prepayments),
    ):
        for item in items or ():
            if isinstance(item, _WireCreditNote):
                credit_id, number = item.CreditNoteID, item.CreditNoteNumber or ""
            else:
                credit_id, number = (item.OverpaymentID if kind is CreditKind.OVERPAYMENT else item.PrepaymentID), ""
            applied = item.AppliedAmount
            applied = _ZERO if applied is None else _finite(applied, f"{field}[].AppliedAmount")
            day = _day(item.DateString, item.Date, f"{field}[].DateString", f"{field}[].Date")
            credits.append(CreditAllocation(kind, credit_id, number, day, Money(applied, currency)))
    return tuple(credits)


def _account_payment(wire: _WireAccountPayment) -> Payment:
    """A payment from GET /Payments, in the currency of the invoice it names."""
    day = _day(wire.DateString, wire.Date, "DateString", "Date", required=True)
    currency = wire.Invoice.CurrencyCode
    amount = Money(_finite(wire.Amount, "Amount"), currency)
    return Payment(wire.PaymentID, day, amount, wire.Reference or "", wire.Invoice.InvoiceID)


def parse_invoice(obj: Mapping[str, Any]) -> Invoice:
    """One invoice or bill, already decoded (e.g. by load_json): the same structures and conversion as a page."""
    return _invoice(_converted(obj, _WireInvoice, "Invoice"))


def parse_payment(obj: Mapping[str, Any], currency: str | None = None) -> Payment:
    """A payment; inside an invoice it takes the invoice's currency, from GET /Payments its Invoice's."""
    if currency is None:
        return _account_payment(_converted(obj, _WireAccountPayment, "Payment"))
    try:
        [payment] = _payments([_converted(obj, _WirePayment, "Payment")], currency)
    except BadXeroData as error:  # named as inside an invoice: drop the "Payments[]." of that path
        raise BadXeroData(error.field.removeprefix("Payments[]."), error.value, error.reason) from None
    return payment


@dataclass(frozen=True, slots=True)
class DecodedInvoices:
    """One GET /Invoices answer, read: the invoices that could be read, each one that could not (as Xero sent
    it, with the error naming its field), how many Xero sent, and its `pagination` object (None when absent)."""

    invoices: tuple[Invoice, ...]
    unreadable: tuple[tuple[Any, BadXeroData], ...]
    received: int
    pagination: Any = None


def read_invoices(content: bytes | str) -> DecodedInvoices:
    """Decode the JSON of one GET /Invoices (or /Invoices/{id}) answer.

    Raises msgspec.DecodeError (a ValueError) when it is not JSON, and BadXeroData when it is not Xero's envelope
    (not an object, or Invoices not a list). One unreadable invoice does not fail the page: the all-good page
    is read in one typed pass; otherwise each invoice is read on its own and the bad ones are set aside.
    """
    try:
        page = _PAGE.decode(content)
        items = page.Invoices or ()
        invoices = tuple(map(_invoice, items))
    except (msgspec.ValidationError, BadXeroData):
        return _read_one_by_one(content)
    return DecodedInvoices(invoices, (), len(items), page.pagination)


def _read_one_by_one(content: bytes | str) -> DecodedInvoices:
    try:
        page = _RAW_PAGE.decode(content)
    except msgspec.ValidationError as error:
        raise _bad_data(error, load_json(content), "response") from None
    items = page.Invoices or ()
    invoices, unreadable = [], []
    for raw in items:
        try:
            invoices.append(_invoice(_ONE_INVOICE.decode(raw)))
        except msgspec.ValidationError as error:
            sent = load_json(raw)
            unreadable.append((sent, _bad_data(error, sent, "Invoice")))
        except BadXeroData as error:
            unreadable.append((load_json(raw), error))
    return DecodedInvoices(tuple(invoices), tuple(unreadable), len(items), page.pagination)


def parse_invoice_page(body: bytes | str | Mapping[str, Any], *, page: int = 1, page_size: int = 100) -> InvoicePage:
    """One page of GET /Invoices, from its JSON or already decoded, with its `pagination` when Xero sent one.
    Any unreadable invoice raises its BadXeroData (XeroClient.invoices can leave them out instead)."""
    if isinstance(body, bytes | str):
        decoded = read_invoices(body)
        if decoded.unreadable:
            raise decoded.unreadable[0][1]
        invoices, pagination = decoded.invoices, decoded.pagination
    else:
        invoices = tuple([parse_invoice(item) for item in items_of(body, "Invoices")])
        pagination = body.get("pagination")
    if not isinstance(pagination, Mapping):
        pagination = {}
    return InvoicePage(
        invoices=invoices,
        page=pagination.get("page", page),
        page_size=pagination.get("pageSize", page_size),
        item_count=pagination.get("itemCount"),
        page_count=pagination.get("pageCount"),
    )


# -- the rest of what the panel reads --------------------------------------------------------------------------------


def parse_contact(obj: Mapping[str, Any]) -> Contact:
    """A contact from GET /Contacts or /Contacts/{id}."""
    wire = _converted(obj, _WireContact, "Contact")
    return Contact(
        contact_id=wire.ContactID,
        name=wire.Name,
        email=wire.EmailAddress or "",
        first_name=wire.FirstName or "",
        last_name=wire.LastName or "",
        is_customer=wire.IsCustomer,
        is_supplier=wire.IsSupplier,
        status=wire.status or ContactStatus.ACTIVE,
    )


def parse_organisation(obj: Mapping[str, Any]) -> Organisation:
    """The organisation from GET /Organisation (ShortCode is what deep links need)."""
    wire = _converted(obj, _WireOrganisation, "Organisation")
    return Organisation(
        organisation_id=wire.OrganisationID,
        name=wire.Name,
        short_code=wire.ShortCode,
        base_currency=wire.BaseCurrency,
        country_code=wire.CountryCode or "",
        timezone=wire.Timezone or "",
    )


def parse_connection(obj: Mapping[str, Any]) -> Connection:
    """One tenant from GET /connections; its dates are zone-less ISO strings meaning UTC."""
    wire = _converted(obj, _WireConnection, "Connection")
    created, updated = wire.createdDateUtc, wire.updatedDateUtc
    return Connection(
        id=wire.id,
        tenant_id=wire.tenantId,
        tenant_type=wire.tenantType,
        tenant_name=wire.tenantName or "",
        auth_event_id=wire.authEventId or "",
        created_at=parse_iso_datetime(created, "createdDateUtc") if created else None,
        updated_at=parse_iso_datetime(updated, "updatedDateUtc") if updated else None,
    )


def parse_token_set(obj: Mapping[str, Any], now: datetime) -> TokenSet:
    """The token endpoint's answer. Expiry is `now` + expires_in, so it follows the injected clock."""
    wire = _converted(obj, _WireTokenSet, "token")
    if not wire.expires_in.is_finite() or wire.expires_in <= 0:
        raise BadXeroData("expires_in", obj.get("expires_in"), "expected a positive number of seconds")
    scope = wire.scope
    return TokenSet(
        access_token=wire.access_token,
        refresh_token=wire.refresh_token,
        expires_at=now + timedelta(seconds=float(wire.expires_in)),
        scope=tuple(scope.split() if isinstance(scope, str) else scope or ()),
        id_token=wire.id_token or "",
        token_type=wire.token_type or "Bearer",
    )


def items_of(body: object, key: str) -> list[Any]:
    """The list under `key` in Xero's envelope (`{"Contacts": [...]}`), as load_json decoded it; absent is none."""
    if not isinstance(body, Mapping):
        raise BadXeroData("response", body, "expected an object")
    items = body.get(key) or []
    if not isinstance(items, list):
        raise BadXeroData(key, items, "expected a list")
    return items
