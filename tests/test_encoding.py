"""What the shared cache holds is MessagePack: domain values come back exactly as they went in, and nothing in
it is ever unpickled (a pickle there is refused, as if the value were missing)."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from msgspec.structs import replace

from plugin.domain.matching import ContactMatch, CustomerDirectory, MatchMethod, RecordKey
from plugin.domain.models import (
    Contact,
    ContactStatus,
    CreditAllocation,
    CreditKind,
    InvoiceStatus,
    InvoiceType,
    Organisation,
)
from plugin.domain.text import N_, Said
from plugin.runtime.cache import in_process
from plugin.runtime.encoding import SharedCacheSerializer, Typed, encode
from plugin.runtime.invoices import InvoiceSnapshot, UnreadableInvoice
from tests.panel.builders import make_invoice, make_payment, money

EXECUTED: list[str] = []


def _record_execution(what: str) -> None:
    EXECUTED.append(what)


class Exploit:
    """Unpickling this runs `_record_execution`, as an attacker's pickle would run anything it liked."""

    def __reduce__(self):
        return _record_execution, ("unpickled",)


def test_a_snapshot_comes_back_exactly_decimals_enums_dates_and_all():
    credit = CreditAllocation(CreditKind.OVERPAYMENT, "cr-1", "OP-1", None, money("0.10"))
    invoices = (
        make_invoice(total="12345678901234567890.123456789", paid="0.10",
                     payments=(make_payment("0.10", "2026-02-10", reference="first"),)),
        make_invoice(total="1500", currency="JPY", status=InvoiceStatus.PAID, type=InvoiceType.ACCPAY,
                     due_date=None),
        make_invoice(total="-0.00", status=InvoiceStatus.VOIDED),
        replace(make_invoice(credited="0.30"), credits=(credit,)),
    )
    snapshot = InvoiceSnapshot("t1", "c1", invoices, datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
                               (UnreadableInvoice("INV-9", Said.of(N_("no %(field)s", field="Total"))),))

    back = Typed(InvoiceSnapshot).decode(encode(snapshot))

    assert back == snapshot
    first = back.invoices[0]
    assert first.total.amount == Decimal("12345678901234567890.123456789")
    assert str(first.amount_paid.amount) == "0.10" and str(back.invoices[2].total.amount) == "-0.00"
    assert first.status is InvoiceStatus.AUTHORISED and back.invoices[1].type is InvoiceType.ACCPAY
    assert back.invoices[1].due_date is None and first.payments[0].date == date(2026, 2, 10)
    assert back.invoices[3].credits[0].kind is CreditKind.OVERPAYMENT
    assert back.fetched_at == snapshot.fetched_at and back.fetched_at.tzinfo is not None
    assert isinstance(back.invoices, tuple) and isinstance(first.payments, tuple)


def test_matches_directories_and_organisations_come_back_exactly():
    customer = Contact("k1", "Aroha Ngata", "aroha@example.com", is_customer=True, status=ContactStatus.ACTIVE)
    match = ContactMatch(MatchMethod.LINKED, "k1", "Aroha Ngata", RecordKey("deal", "d1"),
                         (Said("No Xero customer has the email “%(value)s”.", params=(("value", "a@b.test"),)),),
                         (customer,), "t1")
    directory = CustomerDirectory.of("t1", [customer])
    organisation = Organisation("o1", "Kōwhai Design Studio", "!abc12", "NZD", "NZ", "NZST")
    for value in (match, directory, organisation):
        back = Typed(type(value)).decode(encode(value))
        assert back == value
    assert Typed(ContactMatch).decode(encode(match)).method is MatchMethod.LINKED


def test_a_value_of_another_shape_is_refused():
    assert Typed(Organisation).decode(encode({"name": "no id"})) is None
    assert Typed(Organisation).decode(b"\xc1 not msgpack") is None
    assert Typed(Organisation).decode("a string") is None


def test_the_shared_cache_never_unpickles():
    EXECUTED.clear()
    serializer = SharedCacheSerializer()
    assert serializer.loads(b"!" + pickle.dumps(Exploit())) is None  # cachelib's Redis pickle format
    assert serializer.loads(pickle.dumps(Exploit())) is None  # its SimpleCache format
    assert EXECUTED == []


@pytest.mark.parametrize("value", [0, 41, -3, True, None, 1.5, "text", b"\x00bytes", {"state": "s", "n": [1, 2]}])
def test_plain_values_keep_their_meaning(value):
    serializer = SharedCacheSerializer()
    assert serializer.loads(serializer.dumps(value)) == value
    assert type(serializer.loads(serializer.dumps(value))) is type(value)


def test_integers_are_stored_as_digits_so_redis_can_count_them():
    assert SharedCacheSerializer().dumps(41) == b"41"
    cache = in_process()
    cache.set("n", 1)
    cache.inc("n", 2)
    assert cache.get("n") == 3
