"""The fast reader of the common invoice shape agrees with the checked reader, and the trusted constructor builds
ordinary frozen objects. (Speed itself is shown by `python -m devkit.bench_parse`, not asserted here.)"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devkit.bench_parse import build_page
from plugin.domain.models import Payment, trusted_constructor
from plugin.domain.money import Money
from plugin.xero import parse
from plugin.xero.errors import BadXeroData
from plugin.xero.parse import load_json
from tests.xero.conftest import invoice_json


@pytest.fixture(scope="module")
def wire_invoices() -> list[dict]:
    """A generated page as the client decodes it: what the fast reader is for."""
    return load_json(build_page(60))["Invoices"]


def test_trusted_constructor_builds_an_ordinary_frozen_instance():
    new_money = trusted_constructor(Money)
    money = new_money(Decimal("12.30"), "NZD")
    assert type(money) is Money
    assert money == Money(Decimal("12.30"), "NZD")
    assert hash(money) == hash(Money(Decimal("12.30"), "NZD"))
    assert pickle.loads(pickle.dumps(money)) == money
    assert copy.copy(money) == money
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.amount = Decimal(1)  # type: ignore[misc]
    assert dataclasses.replace(money, currency="AUD") == Money(Decimal("12.30"), "AUD")


def test_trusted_constructor_refuses_a_class_without_slots():
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        value: int

    with pytest.raises(TypeError):
        trusted_constructor(NoSlots)


def test_trusted_constructor_takes_keywords_and_defaults_nothing():
    new_payment = trusted_constructor(Payment)
    payment = new_payment(payment_id="p1", date=None, amount=Money.zero("NZD"), reference="", invoice_id="")
    assert payment == Payment("p1", None, Money.zero("NZD"))  # type: ignore[arg-type]


def test_every_invoice_of_a_generated_page_takes_the_fast_reader_and_matches_the_checked_one(wire_invoices):
    for wire in wire_invoices:
        fast = parse._common_invoice(wire)
        assert fast is not None, wire["InvoiceID"]
        assert fast == parse._checked_invoice(wire)


def test_credits_take_the_fast_reader_too():
    wire = load_json(
        parse.json.dumps(
            invoice_json(
                Payments=[],
                CreditNotes=[{"CreditNoteID": "cn1", "CreditNoteNumber": "CN-1", "AppliedAmount": 10.5}],
                Overpayments=[{"OverpaymentID": "op1", "Date": "/Date(1543449600000+0000)/", "AppliedAmount": 2.5}],
                Prepayments=[{"PrepaymentID": "pp1", "DateString": "2018-11-01T00:00:00"}],
            )
        )
    )
    fast = parse._common_invoice(wire)
    assert fast is not None
    assert fast == parse._checked_invoice(wire)
    assert [c.applied.amount for c in fast.credits] == [Decimal("10.5"), Decimal("2.5"), Decimal("0.00")]


def test_money_keeps_the_digits_written_on_the_fast_path():
    wire = load_json(parse.json.dumps(invoice_json(Payments=[])).replace('"Total": 46.0', '"Total": 46.00'))
    invoice = parse._common_invoice(wire)
    assert invoice is not None
    assert str(invoice.total.amount) == "46.00"


# Values a field might hold in a malformed or unusual answer: each must leave the two readers in agreement.
ODD_VALUES = st.sampled_from(
    [
        None,
        "",
        "x",
        0,
        1,
        True,
        False,
        [],
        {},
        [{}],
        1.5,
        Decimal("1.50"),
        Decimal("-0.00"),
        Decimal("NaN"),
        Decimal("Infinity"),
        "NZD",
        "ZZZ",
        "ACCPAY",
        "VOIDED",
        "2018-10-20T00:00:00",
        "2018-13-45",
        "/Date(1539993600000+0000)/",
        "/Date(-1000)/",
        "/Date(1539993600000+1300)/",
        "/Date(999999999999999+0000)/",
        "/Date(abc)/",
        type("TextSubclass", (str,), {})("sub"),
    ]
)
PATHS = st.sampled_from(
    [
        ("InvoiceID",),
        ("InvoiceNumber",),
        ("Reference",),
        ("Type",),
        ("Status",),
        ("CurrencyCode",),
        ("Contact",),
        ("Contact", "ContactID"),
        ("Contact", "Name"),
        ("Date",),
        ("DateString",),
        ("DueDate",),
        ("DueDateString",),
        ("UpdatedDateUTC",),
        ("Total",),
        ("AmountDue",),
        ("AmountPaid",),
        ("AmountCredited",),
        ("Payments",),
        ("Payments", 0),
        ("Payments", 0, "PaymentID"),
        ("Payments", 0, "Date"),
        ("Payments", 0, "DateString"),
        ("Payments", 0, "Amount"),
        ("Payments", 0, "Reference"),
        ("CreditNotes",),
        ("CreditNotes", 0, "CreditNoteID"),
        ("CreditNotes", 0, "CreditNoteNumber"),
        ("CreditNotes", 0, "AppliedAmount"),
        ("CreditNotes", 0, "Date"),
        ("Overpayments",),
    ]
)


def _with_credit_note() -> dict:
    data = invoice_json(CreditNotes=[{"CreditNoteID": "cn1", "CreditNoteNumber": "CN-1", "AppliedAmount": 1.5}])
    return load_json(parse.json.dumps(data))


def test_the_unedited_invoice_takes_the_fast_reader():
    data = _with_credit_note()
    fast = parse._common_invoice(data)
    assert fast is not None  # else the property below would only ever test the checked reader against itself
    assert fast == parse._checked_invoice(data)


def _set(data: dict, path: tuple, value: object, *, delete: bool) -> None:
    *parents, last = path
    for key in parents:
        data = data[key]
    if delete:
        del data[last]
    else:
        data[last] = value


@settings(max_examples=400, deadline=None)
@given(edits=st.lists(st.tuples(PATHS, ODD_VALUES, st.booleans()), min_size=1, max_size=3))
def test_fast_reader_never_disagrees_with_the_checked_reader(edits):
    data = _with_credit_note()
    for path, value, delete in edits:
        try:
            _set(data, path, copy.deepcopy(value), delete=delete)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier edit replaced a parent; the invoice is odd enough already
    fast = parse._common_invoice(data)
    try:
        checked = parse._checked_invoice(data)
    except BadXeroData:
        assert fast is None  # bad data always reaches the checked reader, which names the field
        return
    assert fast is None or fast == checked


@settings(max_examples=300, deadline=None)
@given(
    millis=st.one_of(
        st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
        st.integers(min_value=-62_135_596_800_000 - 86_400_000, max_value=-62_135_596_800_000 + 86_400_000),
        st.integers(min_value=253_402_300_799_000 - 86_400_000, max_value=253_402_300_799_999 + 86_400_000),
    ),
    offset=st.sampled_from(["+0000", "", "+1300", "-0800"]),
)
def test_the_day_count_shortcut_gives_the_utc_date_of_the_instant(millis, offset):
    value = f"/Date({millis}{offset})/"
    try:
        expected = parse.parse_ms_datetime(value, "Date").date()
    except BadXeroData:
        with pytest.raises(BadXeroData):
            parse.parse_ms_date(value, "Date")
        return
    assert parse.parse_ms_date(value, "Date") == expected
