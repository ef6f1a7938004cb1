"""Benchmark: parse one page of Xero invoices with this client and with the official SDK's deserializer.

Both start from the same JSON text and both decode numbers as Decimal, so the figure compares like with like.
Run with `python -m plugin.bench_parse`; needs the `bench` extra (xero-python).
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from plugin.xero.parse import clear_caches, load_json, parse_invoice

_STATUSES = ("AUTHORISED", "PAID", "PAID", "AUTHORISED", "DRAFT", "VOIDED")
_CURRENCIES = ("NZD", "NZD", "NZD", "AUD", "USD")


def _ms(day: date | datetime) -> str:
    if not isinstance(day, datetime):
        day = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return f"/Date({int(day.timestamp() * 1000)}+0000)/"


def _line(rng: random.Random, n: int) -> dict[str, Any]:
    quantity, unit = rng.randint(1, 5), Decimal(rng.randint(500, 50000)) / 100
    return {
        "LineItemID": f"00000000-0000-4000-8000-{n:012d}",
        "Description": rng.choice(("Consulting", "Widgets <b>blue</b>", "Support - Ōtautahi", "Licence")),
        "Quantity": float(quantity),
        "UnitAmount": float(unit),
        "ItemCode": "ITEM-1",
        "AccountCode": "200",
        "TaxType": "OUTPUT2",
        "TaxAmount": float((unit * quantity * Decimal("0.15")).quantize(Decimal("0.01"))),
        "LineAmount": float(unit * quantity),
        "Tracking": [],
    }


def _payment(rng: random.Random, n: int, day: date, amount: Decimal) -> dict[str, Any]:
    return {
        "PaymentID": f"11111111-0000-4000-8000-{n:012d}",
        "Date": _ms(day),
        "Amount": float(amount),
        "Reference": f"DD {rng.randint(1000, 9999)}",
        "CurrencyRate": 1.0,
        "HasAccount": False,
        "HasValidationErrors": False,
    }


def invoice_dict(rng: random.Random, n: int, today: date) -> dict[str, Any]:
    """One paged-listing invoice the way Xero writes it: line items, payments, credits, both date forms."""
    issued = today - timedelta(days=rng.randint(0, 720))
    due = issued + timedelta(days=30)
    lines = [_line(rng, n * 10 + i) for i in range(rng.randint(1, 4))]
    sub_total = sum(Decimal(str(line["LineAmount"])) for line in lines)
    tax = sum(Decimal(str(line["TaxAmount"])) for line in lines)
    total = sub_total + tax
    status = rng.choice(_STATUSES)
    paid = total if status == "PAID" else (total / 2).quantize(Decimal("0.01")) if rng.random() < 0.3 else Decimal(0)
    payments = [_payment(rng, n, due, paid)] if paid else []
    credit = (total / 10).quantize(Decimal("0.01")) if rng.random() < 0.1 else Decimal(0)
    credits = (
        [
            {
                "CreditNoteID": f"22222222-0000-4000-8000-{n:012d}",
                "CreditNoteNumber": f"CN-{n}",
                "Date": _ms(issued),
                "Total": float(credit),
                "AppliedAmount": float(credit),
            }
        ]
        if credit
        else []
    )
    return {
        "Type": "ACCREC" if rng.random() < 0.85 else "ACCPAY",
        "InvoiceID": f"33333333-0000-4000-8000-{n:012d}",
        "InvoiceNumber": f"INV-{n:05d}",
        "Reference": rng.choice(("", "PO 4471", "Red Fish, Blue Fish", "<script>x</script>")),
        "Payments": payments,
        "CreditNotes": credits,
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": float(total - paid - credit),
        "AmountPaid": float(paid),
        "AmountCredited": float(credit),
        "CurrencyRate": 1.0,
        "IsDiscounted": False,
        "HasAttachments": False,
        "HasErrors": False,
        "SentToContact": True,
        "Contact": {
            "ContactID": f"44444444-0000-4000-8000-{n % 40:012d}",
            "Name": f"Customer {n % 40}",
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
            "HasValidationErrors": False,
        },
        "DateString": f"{issued.isoformat()}T00:00:00",
        "Date": _ms(issued),
        "DueDateString": f"{due.isoformat()}T00:00:00",
        "DueDate": _ms(due),
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "LineItems": lines,
        "SubTotal": float(sub_total),
        "TotalTax": float(tax),
        "Total": float(total),
        "UpdatedDateUTC": _ms(datetime.combine(issued, datetime.min.time(), UTC) + timedelta(hours=9, seconds=n)),
        "CurrencyCode": rng.choice(_CURRENCIES),
    }


def build_page(n: int = 1000, *, seed: int = 7, today: date = date(2026, 3, 1)) -> str:
    """The JSON text of one GET /Invoices?page=1&pageSize=n answer, envelope included."""
    rng = random.Random(seed)
    body = {
        "Id": "5f6c1ad6-0000-4000-8000-000000000000",
        "Status": "OK",
        "ProviderName": "bench",
        "DateTimeUTC": _ms(datetime(2026, 3, 1, 9, tzinfo=UTC)),
        "pagination": {"page": 1, "pageSize": n, "pageCount": 1, "itemCount": n},
        "Invoices": [invoice_dict(rng, i, today) for i in range(n)],
    }
    return json.dumps(body)


def parse_with_client(text: str) -> list:
    clear_caches()  # no help from an earlier run of the same page
    return [parse_invoice(item) for item in load_json(text)["Invoices"]]


def sdk_parser() -> Callable[[str], Any]:
    """xero-python's own path: ApiClient.deserialize(response, "Invoices", the accounting ModelFinder)."""
    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    api_client = ApiClient(Configuration(oauth2_token=OAuth2Token()), pool_threads=1)
    finder = AccountingApi(api_client).get_model_finder()

    class Response:  # what deserialize reads: the body text (and .data as a fallback)
        def __init__(self, body: str) -> None:
            self.text = body
            self.data = body

    return lambda text: api_client.deserialize(Response(text), "Invoices", finder)


def _timed(parse: Callable[[str], Any], text: str) -> float:
    gc.collect()  # start each run without garbage left by the previous one
    started = time.perf_counter()
    parse(text)
    return time.perf_counter() - started


def compare_parse(n: int = 1000, repeats: int = 15) -> dict[str, float]:
    """Seconds (best of `repeats`) to parse one n-invoice page with each parser, and how many times faster we are.

    The two parsers take turns, so a busy machine slows both alike.
    """
    text = build_page(n)
    sdk = sdk_parser()
    ours_count, sdk_result = len(parse_with_client(text)), sdk(text)
    assert ours_count == len(sdk_result.invoices) == n  # both read the whole page
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(_timed(parse_with_client, text))
        theirs.append(_timed(sdk, text))
    best_ours, best_theirs = min(ours), min(theirs)
    return {
        "invoices": n,
        "bytes": len(text),
        "client_s": best_ours,
        "sdk_s": best_theirs,
        "ratio": best_theirs / best_ours,
    }


def main() -> None:
    result = compare_parse()
    print(f"one page of {result['invoices']} invoices ({result['bytes'] / 1e6:.2f} MB of JSON), best of 15:")
    print(f"  this client (json parse_float=Decimal + parse_invoice): {result['client_s'] * 1000:8.1f} ms")
    print(f"  xero-python ApiClient.deserialize('Invoices'):           {result['sdk_s'] * 1000:8.1f} ms")
    print(f"  ratio: {result['ratio']:.1f}x faster (target >= 4x)")


if __name__ == "__main__":
    main()
