"""A tab click's answer (`part=rows`), reused whole while everything it prints is unchanged.

A view tab, an ageing bucket, a search or a date filter answers with the list region and, out of band, the tabs,
the filter toggle, the summary's scope line and the list state (`templates/panel/_rows_part.html`). Its rows, tabs
and form are already reused as finished HTML (plugin.panel.rows, plugin.panel.fragments), but stitching them
together still cost a Jinja render with six includes: the largest part of a warm click's template time. Reps go
back and forth between the same few views of the same data all day, so the finished part is kept too.

The key holds every value the part's templates read of the page (`PAGE_FIELDS_READ`; tests/panel/test_list_part.py
checks the templates against it with jinja2.meta), the two request flags they read, the formatting locale, the
language of the words and the app's URL root. The rows are keyed as the row memo keys them (their invoices by
identity: each entry keeps its invoices, so an identity can't be reused while the entry lives).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import request

from plugin.domain.models import Invoice
from plugin.panel import rows
from plugin.panel.fragments import RenderedHtml, words_key
from plugin.panel.model import PAGE_SIZE, PanelPage
from plugin.web import i18n

PART_TEMPLATE = "panel/_rows_part.html"
# What the part's templates read of `page`, each held by the key (`ageing` by its currencies: only how many there
# are is printed; `next_limit` follows from the query).
PAGE_FIELDS_READ = frozenset({"query", "counts", "views", "rows", "hidden_rows", "next_limit", "listed_count",
                              "listed_sums", "base_currency", "ageing", "date_message"})
REQUEST_FLAGS = ("dates_flagged", "clear")  # request values the part reads (whether the date fields come along)
# Bounded in bytes: a part is about 2 kB a row (50 kB for a page of 25), and each entry keeps its invoices alive,
# which a refetch or the snapshot cache's own bound may have let go of (counted at their decoded size, about 5 kB
# each: a 1,000-invoice page of Xero's is 1.3 MB of MessagePack, times DECODED_BYTES_PER_ENCODED_BYTE).
MAX_PART_BYTES = 32 * 1024 * 1024
INVOICE_BYTES = 5 * 1024
MAX_ROWS_KEPT = 2 * PAGE_SIZE  # a list grown by Show more beyond this is rendered each time (rare, and large)


def _size(entry: tuple[tuple[Invoice, ...], str]) -> int:
    return len(entry[1]) + INVOICE_BYTES * len(entry[0])


_rendered: RenderedHtml[tuple[tuple[Invoice, ...], str]] = RenderedHtml(MAX_PART_BYTES, _size)


def rendered(page: PanelPage, locale: Any, render: Callable[[], str]) -> str:
    """The part for `page`, as `render()` prints it, or the HTML an equal page rendered before."""
    if len(page.rows) > MAX_ROWS_KEPT:
        return render()
    key = _key(page, locale)
    invoices = tuple(row.invoice for row in page.rows)
    found = _rendered.get(key)
    # the key holds each row's invoice by id: the same objects, not ones reborn at a freed address
    if found is not None and all(kept is shown for kept, shown in zip(found[0], invoices, strict=True)):
        return found[1]
    html = render()
    _rendered.put(key, (invoices, html))
    return html


def _key(page: PanelPage, locale: Any) -> Hashable:
    return (
        page.query,
        tuple(page.counts.get(view, 0) for view in page.views),
        tuple(rows.row_key(row) for row in page.rows),
        page.hidden_rows,
        page.listed_count,
        page.listed_sums,
        page.base_currency,
        tuple(entry.currency for entry in page.ageing),
        words_key(page.date_message),
        tuple(bool(request.values.get(flag)) for flag in REQUEST_FLAGS),
        locale,
        i18n.language(),
        request.script_root,
    )
