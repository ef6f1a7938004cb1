"""Benchmark: parse one page of Xero invoices with this client and with the official SDK's deserializer.

Both start from the same response body, the bytes the network delivered, and each does what it does with them in
production: XeroClient hands `response.content` to parse_invoice_page (msgspec's typed decode), xero-python's
RESTResponse decodes its bytes to text and deserialize calls `json.loads(text, parse_float=Decimal)`. Both read
numbers as exact Decimals, so the figure compares like with like: each timing covers JSON decoding, building the
typed objects, and freeing what the run made. (From a str instead of bytes, msgspec takes ~0.5 ms longer on the
1,000-invoice page: it is never handed one in production.) Run with
`python -m devkit.bench_parse`; needs the `bench` extra (xero-python). The load average is printed beside the
figures: on a busy machine both timings grow and the ratio usually shrinks, so read a low ratio with a high load
accordingly.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from devkit.emulator import serialize
from devkit.emulator.seed import build_large_organisation
from plugin.xero.parse import parse_invoice_page


def build_page(n: int = 1000, *, seed: int = 1, today: date = date(2026, 3, 1)) -> str:
    """The JSON text of one GET /Invoices?page=1&pageSize=n answer, written by the emulator's serializer from a
    generated organisation: line items, instalment payments, applied credits, both date forms."""
    data = build_large_organisation(seed, today, invoices=n, contacts=max(1, n // 20))
    items = [serialize.invoice(inv, data.contacts[inv.contact_id], lines=True) for inv in data.invoices.values()]
    now = datetime(today.year, today.month, today.day, 9, tzinfo=UTC)
    return serialize.dumps(serialize.envelope(now, "Invoices", items, serialize.pagination(1, n, n)))


def parse_with_client(body: bytes) -> list:
    """What XeroClient.invoice_page does with the body of one page: parse_invoice_page (pagination included).
    Nothing is remembered between runs, so every run reads the page cold."""
    return list(parse_invoice_page(body).invoices)


def sdk_parser() -> Callable[[bytes], Any]:
    """xero-python's own path: ApiClient.deserialize(response, "Invoices", the accounting ModelFinder)."""
    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    api_client = ApiClient(Configuration(oauth2_token=OAuth2Token()), pool_threads=1)
    finder = AccountingApi(api_client).get_model_finder()

    class Response:  # what deserialize reads, as xero_python.rest.RESTResponse gives it: .text decodes the bytes
        def __init__(self, body: bytes) -> None:
            self.data = body

        @property
        def text(self) -> str:
            return self.data.decode("utf8")

    return lambda body: api_client.deserialize(Response(body), "Invoices", finder)


def _timed(parse: Callable[[bytes], Any], body: bytes) -> float:
    gc.collect()  # start each run without garbage left by the previous one
    started = time.process_time()  # CPU time of this process: other busy processes on the machine do not count
    parse(body)
    return time.process_time() - started


def compare_parse(n: int = 1000, repeats: int = 25) -> dict[str, float]:
    """CPU seconds (best of `repeats`) to parse one n-invoice page with each parser, and how many times faster we are.

    The two parsers take turns, so a busy machine slows both alike.
    """
    body = build_page(n).encode()
    sdk = sdk_parser()
    # Both read the whole page. Only the counts are kept: a result kept alive during the timings (the SDK's is
    # ~100,000 objects) made every gc.collect() walk it and slowed both parsers, the shorter one the most.
    assert len(parse_with_client(body)) == len(sdk(body).invoices) == n
    ours, theirs = [], []
    load_before = os.getloadavg()[0]
    for _ in range(repeats):
        ours.append(_timed(parse_with_client, body))
        theirs.append(_timed(sdk, body))
    best_ours, best_theirs = min(ours), min(theirs)
    return {
        "invoices": n,
        "bytes": len(body),
        "client_s": best_ours,
        "sdk_s": best_theirs,
        "ratio": best_theirs / best_ours,
        "repeats": repeats,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "cpus": os.cpu_count() or 1,
    }


def main() -> None:
    result = compare_parse()
    print(
        f"one page of {result['invoices']} invoices ({result['bytes'] / 1e6:.2f} MB of JSON), "
        f"best of {result['repeats']} CPU times, turns taken:"
    )
    print(f"  this client (parse_invoice_page, msgspec):      {result['client_s'] * 1000:8.1f} ms")
    print(f"  xero-python ApiClient.deserialize('Invoices'): {result['sdk_s'] * 1000:8.1f} ms")
    print(f"  ratio: {result['ratio']:.1f}x faster (target >= 15x)")
    print(
        f"  1-minute load average {result['load_before']:.2f} before, {result['load_after']:.2f} after, "
        f"on {result['cpus']} CPUs"
    )


if __name__ == "__main__":
    main()
