"""Invoices Xero sends that cannot be read are left out, kept with the cached snapshot, and named to the rep."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.domain.clock import FixedClock
from plugin.domain.text import N_, Said
from plugin.panel.model import Problem, left_out_notice
from plugin.runtime.cache import in_process
from plugin.runtime.invoices import InvoiceStore, UnreadableInvoice
from plugin.xero.errors import BadXeroData
from tests.panel.builders import make_invoice

FETCHED = datetime(2026, 3, 1, 9, tzinfo=UTC)
XYZ = Said.of(N_("unknown currency '%(code)s'", code="XYZ"))


def no(field: str) -> Said:
    return Said.of(N_("no %(field)s", field=field))


def test_the_reason_is_said_in_plain_words_with_the_number_xero_sent():
    currency = UnreadableInvoice.of({"InvoiceNumber": "INV-0042"}, BadXeroData("CurrencyCode", "XYZ", "unknown"))
    total = UnreadableInvoice.of({"InvoiceNumber": "INV-0043"}, BadXeroData("Total", None, "missing"))
    date = UnreadableInvoice.of({"InvoiceNumber": 7}, BadXeroData("DueDate", "31/02", "not a date"))
    assert currency == UnreadableInvoice("INV-0042", XYZ)
    assert total == UnreadableInvoice("INV-0043", no("Total"))
    assert date == UnreadableInvoice("", Said.of(N_("unreadable %(field)s", field="DueDate")))
    assert str(currency.reason) == "unknown currency 'XYZ'" and str(date.reason) == "unreadable DueDate"


def test_one_left_out_invoice_is_named_in_one_sentence():
    notice = left_out_notice([UnreadableInvoice("INV-0042", XYZ)])
    assert notice is not None and notice.problem is Problem.LEFT_OUT
    assert notice.message == ("1 invoice from Xero couldn't be read and is left out of this list and the totals: "
                              "INV-0042 (unknown currency 'XYZ').")


def test_many_left_out_invoices_are_counted_and_the_first_few_named():
    unreadable = [UnreadableInvoice(f"INV-{n}", no("Total")) for n in range(6)] + [UnreadableInvoice("", no("Date"))]
    message = left_out_notice(unreadable).message
    assert message.startswith("7 invoices from Xero couldn't be read and are left out of this list and the totals: ")
    assert "INV-4 (no Total), and 2 more." in message and "INV-5" not in message


def test_an_invoice_without_a_readable_number_is_still_counted():
    message = left_out_notice([UnreadableInvoice("", no("Date"))]).message
    assert message.endswith("totals: one without a readable number (no Date).")


def test_nothing_left_out_means_no_notice():
    assert left_out_notice(()) is None


class OneBadInvoice:
    """Xero answering one readable invoice and one it cannot read, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def invoices(self, *, contact_ids=(), page_size=100, on_unreadable=None):
        self.calls += 1
        on_unreadable({"InvoiceID": "bad", "InvoiceNumber": "INV-0042"}, BadXeroData("CurrencyCode", "XYZ", "unknown"))
        return [make_invoice(number="INV-0001")]


def test_the_store_keeps_what_it_left_out_so_a_cache_hit_can_say_so(caplog):
    xero = OneBadInvoice()
    store = InvoiceStore(cache=in_process(), clock=FixedClock(FETCHED), client=lambda: xero)
    fetched = store.load_invoices("t1", "c1")
    cached = store.load_invoices("t1", "c1")
    assert xero.calls == 1
    assert [invoice.invoice_number for invoice in cached.invoices] == ["INV-0001"]
    assert cached.unreadable == fetched.unreadable == (UnreadableInvoice("INV-0042", XYZ),)
    assert any("BadXeroData" in record.getMessage() and "CurrencyCode" in record.getMessage()
               for record in caplog.records)
