"""The one step from Xero's JSON to the frozen models. Every reader here raises BadXeroData naming the field.

Dates follow Xero's meaning: `/Date(ms±hhmm)/` carries the UTC instant in milliseconds; an invoice date is the
UTC calendar date of that instant (never converted to server-local time), and DateString/DueDateString win when
present. Money is Decimal all the way: JSON is decoded with `parse_float=Decimal` (see `load_json`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache, partial
from typing import Any, TypeVar

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
    trusted_constructor,
)
from plugin.domain.money import Money
from plugin.xero.errors import BadXeroData

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_MS_PER_DAY = 86_400_000
_MS_DATE = re.compile(r"/Date\((-?\d{1,15})(?:([+-])(\d{2})(\d{2})?)?\)/")
_CURRENCIES = frozenset(list_currencies())
_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")

# Where each kind of applied credit keeps its id and number inside an invoice.
_CREDIT_LISTS = (
    ("CreditNotes", CreditKind.CREDIT_NOTE, "CreditNoteID", "CreditNoteNumber"),
    ("Overpayments", CreditKind.OVERPAYMENT, "OverpaymentID", ""),
    ("Prepayments", CreditKind.PREPAYMENT, "PrepaymentID", ""),
)


def load_json(text: str | bytes) -> Any:
    """Decode a Xero body with every JSON number that has a fraction read as an exact Decimal.

    Measured on a 1000-invoice page: orjson decodes in about half the time, but its floats turned back into
    Decimal are exact only up to 15 significant digits and lose the digits Xero wrote ("46.00"); msgspec with a
    Decimal float_hook saved under a fifth. Neither was worth a dependency, so the stdlib it is. Also measured:
    jiter's float_mode="decimal" is no quicker than this (it calls Decimal per number too); msgspec decoding into
    typed Structs took 2.5 ms against 8.8 ms here, because it skips LineItems unbuilt, but it would need the
    client to hand the raw bytes of invoice pages to a schema of its own rather than to this function.
    """
    return json.loads(text, parse_float=Decimal)


# Memoised dates, keyed by the text Xero sent: a page repeats the same days many times. Only good values are kept
# (a bad one raises, naming the field it came from), so the key needs no field name. Each holds at most _MEMO_SIZE
# entries: when full it starts again empty, which bounds memory without the bookkeeping of an LRU.
_MEMO_SIZE = 4096
_INSTANTS: dict[str, datetime] = {}
_ISO_DAYS: dict[str, date] = {}


def _remember(memo: dict[str, _T], key: str, value: _T) -> _T:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


def clear_caches() -> None:
    """Forget memoised dates (the benchmark starts each run cold, as a fresh page would)."""
    _INSTANTS.clear()
    _ISO_DAYS.clear()


# -- dates -------------------------------------------------------------------------------------------------------


def parse_ms_datetime(value: object, field: str) -> datetime:
    """The UTC instant of `/Date(ms)/` or `/Date(ms±hhmm)/`, as an aware datetime in UTC.

    The offset only says what the wall clock read where the value was made; the milliseconds are already UTC.
    Built by adding a timedelta to the epoch, so negative (pre-1970) values work on every platform.
    """
    if not isinstance(value, str):
        raise BadXeroData(field, value, "expected a /Date(...)/ string")
    return _ms_instant(value, field)


def _ms_instant(value: str, field: str) -> datetime:
    instant = _INSTANTS.get(value)
    return instant if instant is not None else _remember(_INSTANTS, value, _read_ms_instant(value, field))


def _read_ms_instant(value: str, field: str) -> datetime:
    millis = value[6:-7]
    if value.endswith("+0000)/") and value.startswith("/Date(") and millis.isdigit() and millis.isascii():
        return _from_epoch(millis, value, field)  # the usual form: skip the regular expression
    match = _MS_DATE.fullmatch(value)
    if match is None:
        raise BadXeroData(field, value, "expected /Date(milliseconds±hhmm)/")
    millis, _sign, hours, minutes = match.groups()
    if hours is not None and (int(hours) > 14 or int(minutes or 0) > 59):
        raise BadXeroData(field, value, "offset out of range")
    return _from_epoch(millis, value, field)


def _from_epoch(millis: str, value: str, field: str) -> datetime:
    """Epoch plus a timedelta rather than fromtimestamp, which fails before 1970 on some platforms."""
    if len(millis.lstrip("-")) > 15:
        raise BadXeroData(field, value, "date out of range")
    try:
        return _EPOCH + timedelta(0, 0, 0, int(millis))  # (days, seconds, µs, ms): positional is the quicker call
    except OverflowError as error:
        raise BadXeroData(field, value, "date out of range") from error


def parse_ms_date(value: object, field: str) -> date:
    """The UTC calendar date of a `/Date(...)/` value, or of an ISO date string such as a DateString."""
    if not isinstance(value, str):
        raise BadXeroData(field, value, "expected a /Date(...)/ string")
    return _ms_day(value, field) if value.startswith("/Date(") else _iso_date(value, field)


def _ms_day(value: str, field: str) -> date:
    """The UTC calendar date of a /Date(...)/ string. The usual form goes straight from the count of days (floor
    division, so before 1970 too) without building a datetime; the rest through `_ms_instant`."""
    millis = value[6:-7]  # longer than 15 digits is out of range, and `_ms_instant` says so
    usual = value.endswith("+0000)/") and value.startswith("/Date(") and len(millis) <= 15
    if usual and millis.isdigit() and millis.isascii():
        try:
            return date.fromordinal(_EPOCH_ORDINAL + int(millis) // _MS_PER_DAY)
        except ValueError:  # past year 9999: `_ms_instant` raises the error naming the field
            pass
    return _ms_instant(value, field).date()


def _iso_date(value: str, field: str) -> date:
    """`2018-10-20` or `2018-10-20T00:00:00`: the calendar date as written (Xero writes the org-local date)."""
    day = _ISO_DAYS.get(value)
    if day is not None:
        return day
    try:
        return _remember(_ISO_DAYS, value, date.fromisoformat(value[:10]))
    except ValueError as error:
        raise BadXeroData(field, value, "expected an ISO date") from error


def parse_iso_datetime(value: object, field: str) -> datetime:
    """An ISO timestamp; one without a zone (as /connections sends) is taken as UTC."""
    if not isinstance(value, str):
        raise BadXeroData(field, value, "expected an ISO timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadXeroData(field, value, "expected an ISO timestamp") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _xero_date(obj: Mapping[str, Any], field: str, string_field: str, *, required: bool) -> date | None:
    """Prefer the DateString form Xero writes beside the /Date(...)/ one; fall back to the latter."""
    text = obj.get(string_field)
    if text:
        return _iso_date(text, string_field) if isinstance(text, str) else parse_ms_date(text, string_field)
    value = obj.get(field)
    if value is None:
        if required:
            raise BadXeroData(field, None, "missing")
        return None
    return parse_ms_date(value, field)


# -- scalars -----------------------------------------------------------------------------------------------------


def _required(obj: Mapping[str, Any], field: str) -> Any:
    value = obj.get(field)
    if value is None or value == "":
        raise BadXeroData(field, value, "missing")
    return value


def _text(obj: Mapping[str, Any], field: str, *, required: bool = False) -> str:
    value = _required(obj, field) if required else obj.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadXeroData(field, value, "expected text")
    return value


def _flag(obj: Mapping[str, Any], field: str) -> bool:
    value = obj.get(field, False)
    if not isinstance(value, bool):
        raise BadXeroData(field, value, "expected true or false")
    return value


@cache
def _members(kind: type[_E]) -> dict[str, _E]:
    """Value -> member, looked up directly (calling the enum class is several times slower)."""
    return {member.value: member for member in kind}


def _enum(kind: type[_E], obj: Mapping[str, Any], field: str, default: _E | None = None) -> _E:
    value = obj.get(field)
    if value is None and default is not None:
        return default
    member = _members(kind).get(value) if isinstance(value, str) else None
    if member is None:
        raise BadXeroData(field, value, f"not a known {kind.__name__}")
    return member


def parse_currency(value: object, field: str = "CurrencyCode") -> str:
    """An ISO 4217 code Xero could send; anything else is bad data rather than a silent wrong total."""
    if not isinstance(value, str) or value not in _CURRENCIES:
        raise BadXeroData(field, value, "unknown currency code")
    return value  # type: ignore[return-value]


def parse_amount(value: object, field: str) -> Decimal:
    """An exact amount: a Decimal (from load_json), an int, or a float turned into Decimal through its repr."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        raise BadXeroData(field, value, "expected a number")
    if not amount.is_finite():
        raise BadXeroData(field, value, "expected a finite number")
    return amount


def _money(obj: Mapping[str, Any], field: str, currency: str, *, default: Decimal | None = None) -> Money:
    value = obj.get(field)
    if type(value) is Decimal and value.is_finite():  # what load_json gives: skip the other checks
        return Money(value, currency)
    if value is None:
        if default is None:
            raise BadXeroData(field, None, "missing")
        return Money(default, currency)
    return Money(parse_amount(value, field), currency)


_ZERO = Decimal("0.00")


# -- objects -----------------------------------------------------------------------------------------------------


def _object(value: object, field: str) -> Mapping[str, Any]:
    if type(value) is not dict and not isinstance(value, Mapping):  # the exact-type test is the fast common case
        raise BadXeroData(field, value, "expected an object")
    return value


def _each(obj: Mapping[str, Any], field: str) -> list[Mapping[str, Any]]:
    items = obj.get(field) or []
    if not isinstance(items, list):
        raise BadXeroData(field, items, "expected a list")
    return [item if type(item) is dict else _object(item, field) for item in items]


def _nested(field: str, read: Callable[[Mapping[str, Any]], _T], items: Iterable[Mapping[str, Any]]) -> tuple[_T, ...]:
    """Read nested objects, and name the path (e.g. `Payments[].Amount`) if one is bad."""
    try:
        return tuple([read(item) for item in items])
    except BadXeroData as error:
        raise BadXeroData(f"{field}.{error.field}", error.value, error.reason) from error


def parse_payment(obj: Mapping[str, Any], currency: str | None = None) -> Payment:
    """A payment; inside an invoice it takes the invoice's currency, from /Payments its Invoice's."""
    obj = _object(obj, "Payment")
    invoice_id = ""
    if currency is None:
        [(invoice_id, currency)] = _nested("Invoice", _invoice_summary, (_object(obj.get("Invoice"), "Invoice"),))
    return Payment(
        payment_id=_text(obj, "PaymentID", required=True),
        date=_xero_date(obj, "Date", "DateString", required=True),  # type: ignore[arg-type]
        amount=_money(obj, "Amount", currency),
        reference=_text(obj, "Reference"),
        invoice_id=invoice_id,
    )


def _invoice_summary(invoice: Mapping[str, Any]) -> tuple[str, str]:
    return _text(invoice, "InvoiceID", required=True), parse_currency(invoice.get("CurrencyCode"))


def _credit(obj: Mapping[str, Any], *, kind: CreditKind, id_field: str, number_field: str, currency: str):
    return CreditAllocation(
        kind=kind,
        credit_id=_text(obj, id_field, required=True),
        number=_text(obj, number_field) if number_field else "",
        date=_xero_date(obj, "Date", "DateString", required=False),
        applied=_money(obj, "AppliedAmount", currency, default=_ZERO),
    )


def _credits(obj: Mapping[str, Any], currency: str) -> tuple[CreditAllocation, ...]:
    credits: tuple[CreditAllocation, ...] = ()
    for field, kind, id_field, number_field in _CREDIT_LISTS:
        if obj.get(field):  # most invoices have none: skip the set-up

            def read(item, kind=kind, id_field=id_field, number_field=number_field):
                return _credit(item, kind=kind, id_field=id_field, number_field=number_field, currency=currency)

            credits += _nested(f"{field}[]", read, _each(obj, field))
    return credits


def _contact_summary(contact: Mapping[str, Any]) -> tuple[str, str]:
    return _text(contact, "ContactID", required=True), _text(contact, "Name")


def parse_invoice(obj: Mapping[str, Any]) -> Invoice:
    """One invoice or bill from GET /Invoices or /Invoices/{id}.

    Two readers that give the same answer: `_common_invoice` takes the shape load_json gives for well-formed data
    using exact-type tests only, and hands anything unusual to `_checked_invoice`, which reads every other
    accepted form and raises the error naming the bad field. tests/xero/test_parse_fast.py holds them equal.
    """
    invoice = _common_invoice(obj)
    return invoice if invoice is not None else _checked_invoice(obj)


def _checked_invoice(obj: Mapping[str, Any]) -> Invoice:
    obj = _object(obj, "Invoice")
    contact = _object(_required(obj, "Contact"), "Contact")
    [(contact_id, contact_name)] = _nested("Contact", _contact_summary, (contact,))
    currency = parse_currency(obj.get("CurrencyCode"))
    payments = (
        _nested("Payments[]", partial(parse_payment, currency=currency), _each(obj, "Payments"))
        if obj.get("Payments")
        else ()
    )
    return Invoice(
        invoice_id=_text(obj, "InvoiceID", required=True),
        invoice_number=_text(obj, "InvoiceNumber"),
        type=_enum(InvoiceType, obj, "Type"),
        status=_enum(InvoiceStatus, obj, "Status"),
        contact_id=contact_id,
        contact_name=contact_name,
        date=_xero_date(obj, "Date", "DateString", required=True),  # type: ignore[arg-type]
        due_date=_xero_date(obj, "DueDate", "DueDateString", required=False),
        currency=currency,
        total=_money(obj, "Total", currency),
        amount_due=_money(obj, "AmountDue", currency),
        amount_paid=_money(obj, "AmountPaid", currency, default=_ZERO),
        amount_credited=_money(obj, "AmountCredited", currency, default=_ZERO),
        updated_at=parse_ms_datetime(_required(obj, "UpdatedDateUTC"), "UpdatedDateUTC"),
        reference=_text(obj, "Reference"),
        payments=payments,
        credits=_credits(obj, currency),
    )


# -- the common shape, fast ----------------------------------------------------------------------------------------
# Each reader below returns None (or _UNUSUAL where None is a valid answer) at the first value that is not of the
# exact type load_json gives for good data; the checked reader above then decides. They never raise for bad data
# and never accept a value the checked reader would refuse. An explicit null where a default applies also goes to
# the checked reader (`get(key, default)` only covers an absent key): correct, just not the fast case.

_UNUSUAL: Any = object()
_new_invoice = trusted_constructor(Invoice)
_new_payment = trusted_constructor(Payment)
_new_credit = trusted_constructor(CreditAllocation)
_new_money = trusted_constructor(Money)  # amount known to be a finite Decimal, currency one of _CURRENCIES
_INVOICE_TYPES = _members(InvoiceType)
_INVOICE_STATUSES = _members(InvoiceStatus)


def _common_invoice(obj: object) -> Invoice | None:
    if type(obj) is not dict:
        return None
    get = obj.get
    currency, contact, invoice_id = get("CurrencyCode"), get("Contact"), get("InvoiceID")
    if type(currency) is not str or currency not in _CURRENCIES or type(contact) is not dict:
        return None
    contact_id, contact_name = contact.get("ContactID"), contact.get("Name", "")
    kind, status = get("Type"), get("Status")
    kind = _INVOICE_TYPES.get(kind) if type(kind) is str else None
    status = _INVOICE_STATUSES.get(status) if type(status) is str else None
    invoice_number, reference = get("InvoiceNumber", ""), get("Reference", "")
    if (  # ids are non-empty text; optional text is text or absent
        type(invoice_id) is not str
        or type(contact_id) is not str
        or not invoice_id
        or not contact_id
        or kind is None
        or status is None
        or type(contact_name) is not str
        or type(invoice_number) is not str
        or type(reference) is not str
    ):
        return None
    day = _common_day(get("DateString"), get("Date"))
    due_day = _common_day(get("DueDateString"), get("DueDate"))
    updated_at = _common_instant(get("UpdatedDateUTC"))
    total, amount_due = _common_money(get("Total"), currency), _common_money(get("AmountDue"), currency)
    amount_paid = _common_money(get("AmountPaid", _ZERO), currency)
    amount_credited = _common_money(get("AmountCredited", _ZERO), currency)
    payments = _common_payments(get("Payments"), currency)
    credits = _common_credits(get, currency) if get("CreditNotes") or get("Overpayments") or get("Prepayments") else ()
    if (
        day is None
        or day is _UNUSUAL
        or due_day is _UNUSUAL
        or updated_at is None
        or total is None
        or amount_due is None
        or amount_paid is None
        or amount_credited is None
        or payments is None
        or credits is None
    ):
        return None
    return _new_invoice(
        invoice_id,
        invoice_number,
        kind,
        status,
        contact_id,
        contact_name,
        day,
        due_day,
        currency,
        total,
        amount_due,
        amount_paid,
        amount_credited,
        updated_at,
        reference,
        payments,
        credits,
    )


def _common_money(value: object, currency: str) -> Money | None:
    if type(value) is not Decimal or not value.is_finite():
        return None
    if not value and not value.compare_total(_ZERO):  # exactly 0.00 (not 0, 0.0 or -0.00): most invoices' credits
        zero = _ZEROS.get(currency)
        return zero if zero is not None else _ZEROS.setdefault(currency, _new_money(_ZERO, currency))
    return _new_money(value, currency)


_ZEROS: dict[str, Money] = {}  # one shared 0.00 per currency (Money is immutable); bounded by _CURRENCIES


def _common_day(text: object, value: object) -> date | None:
    """Like `_xero_date`: the DateString form when set, else the /Date(...)/ one; None when neither is there."""
    try:
        if text:
            return (_ISO_DAYS.get(text) or _iso_date(text, "")) if type(text) is str else _UNUSUAL
        if value is None:
            return None
        if type(value) is str and value.startswith("/Date("):
            return _ms_day(value, "")
    except BadXeroData:
        pass
    return _UNUSUAL


def _common_instant(value: object) -> datetime | None:
    if type(value) is not str:
        return None
    try:
        return _INSTANTS.get(value) or _ms_instant(value, "")
    except BadXeroData:
        return None


def _common_payments(items: object, currency: str) -> tuple[Payment, ...] | None:
    if not items:
        return ()
    if type(items) is not list:
        return None
    payments = []
    for item in items:
        if type(item) is not dict:
            return None
        get = item.get
        payment_id, reference = get("PaymentID"), get("Reference", "")
        day, amount = _common_day(get("DateString"), get("Date")), _common_money(get("Amount"), currency)
        if (
            type(payment_id) is not str
            or not payment_id
            or type(reference) is not str
            or day is None
            or day is _UNUSUAL
            or amount is None
        ):
            return None
        payments.append(_new_payment(payment_id, day, amount, reference, ""))
    return tuple(payments)


def _common_credits(get: Callable[[str], Any], currency: str) -> tuple[CreditAllocation, ...] | None:
    credits: list[CreditAllocation] = []
    for field, kind, id_field, number_field in _CREDIT_LISTS:
        items = get(field)
        if not items:
            continue
        if type(items) is not list:
            return None
        for item in items:
            if type(item) is not dict:
                return None
            credit_id = item.get(id_field)
            number = item.get(number_field, "") if number_field else ""
            day = _common_day(item.get("DateString"), item.get("Date"))
            applied = _common_money(item.get("AppliedAmount", _ZERO), currency)
            if (
                type(credit_id) is not str
                or not credit_id
                or type(number) is not str
                or day is _UNUSUAL
                or applied is None
            ):
                return None
            credits.append(_new_credit(kind, credit_id, number, day, applied))
    return tuple(credits)


def parse_contact(obj: Mapping[str, Any]) -> Contact:
    """A contact from GET /Contacts or /Contacts/{id}."""
    obj = _object(obj, "Contact")
    return Contact(
        contact_id=_text(obj, "ContactID", required=True),
        name=_text(obj, "Name", required=True),
        email=_text(obj, "EmailAddress"),
        first_name=_text(obj, "FirstName"),
        last_name=_text(obj, "LastName"),
        is_customer=_flag(obj, "IsCustomer"),
        is_supplier=_flag(obj, "IsSupplier"),
        status=_enum(ContactStatus, obj, "ContactStatus", ContactStatus.ACTIVE),
    )


def parse_organisation(obj: Mapping[str, Any]) -> Organisation:
    """The organisation from GET /Organisation (ShortCode is what deep links need)."""
    obj = _object(obj, "Organisation")
    return Organisation(
        organisation_id=_text(obj, "OrganisationID", required=True),
        name=_text(obj, "Name", required=True),
        short_code=_text(obj, "ShortCode", required=True),
        base_currency=parse_currency(obj.get("BaseCurrency"), "BaseCurrency"),
        country_code=_text(obj, "CountryCode"),
        timezone=_text(obj, "Timezone"),
    )


def parse_connection(obj: Mapping[str, Any]) -> Connection:
    """One tenant from GET /connections; its dates are zone-less ISO strings meaning UTC."""
    obj = _object(obj, "Connection")
    created, updated = obj.get("createdDateUtc"), obj.get("updatedDateUtc")
    return Connection(
        id=_text(obj, "id", required=True),
        tenant_id=_text(obj, "tenantId", required=True),
        tenant_type=_text(obj, "tenantType", required=True),
        tenant_name=_text(obj, "tenantName"),
        auth_event_id=_text(obj, "authEventId"),
        created_at=parse_iso_datetime(created, "createdDateUtc") if created else None,
        updated_at=parse_iso_datetime(updated, "updatedDateUtc") if updated else None,
    )


def parse_token_set(obj: Mapping[str, Any], now: datetime) -> TokenSet:
    """The token endpoint's answer. Expiry is `now` + expires_in, so it follows the injected clock."""
    obj = _object(obj, "token")
    expires_in = obj.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | Decimal) or expires_in <= 0:
        raise BadXeroData("expires_in", expires_in, "expected a positive number of seconds")
    return TokenSet(
        access_token=_text(obj, "access_token", required=True),
        refresh_token=_text(obj, "refresh_token", required=True),  # missing when offline_access was not granted
        expires_at=now + timedelta(seconds=float(expires_in)),
        scope=_scopes(obj.get("scope")),
        id_token=_text(obj, "id_token"),
        token_type=_text(obj, "token_type") or "Bearer",
    )


def _scopes(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple) and all(isinstance(s, str) for s in value):
        return tuple(value)
    raise BadXeroData("scope", value, "expected a space-separated string")


# -- envelopes ---------------------------------------------------------------------------------------------------


def items_of(body: object, key: str) -> list[Mapping[str, Any]]:
    """The list under `key` in Xero's envelope (`{"Invoices": [...]}`); absent means none."""
    return _each(_object(body, "response"), key)


def parse_invoice_page(body: object, *, page: int = 1, page_size: int = 100) -> InvoicePage:
    """One page of GET /Invoices with its `pagination` object when Xero sent one."""
    invoices = tuple([parse_invoice(item) for item in items_of(body, "Invoices")])
    pagination = _object(body, "response").get("pagination") or {}
    return InvoicePage(
        invoices=invoices,
        page=pagination.get("page", page),
        page_size=pagination.get("pageSize", page_size),
        item_count=pagination.get("itemCount"),
        page_count=pagination.get("pageCount"),
    )
