"""Each invoice row's HTML, rendered once per worker and reused while nothing it shows has changed.

Rendering a row (`templates/panel/_row.html` with its payments popover) costs a Jinja include, a
`url_for` and a handful of filters; a panel shows 25 of them and reps switch views all day over the
same rows. `rendered_row(row)` keys the finished HTML by everything the template reads: the invoice
object, its status and due note (both judged on the rep's day), deep link and pin state, the rep's locale, and
the app's URL root. The invoice is
compared by identity (hashing all its fields for every row cost more than the rest of the lookup): the
snapshot cache hands out one decoded snapshot per fetch (plugin.runtime.snapshots), so a refetched or changed
invoice is a new object, and each entry holds its invoice so the identity can't be reused meanwhile.
Instalments, credit explanations and whether the invoice is online are not in the key because build_panel
derives them from the invoice alone. Any change is a
different key, so a reused row is byte-for-byte what rendering it again would give. That holds only while
the template reads nothing else (nothing per user but the locale): tests/panel/test_rows.py checks the
variables, filters and includes of panel/_row.html with jinja2.meta.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from flask import request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from plugin.domain.models import Invoice
from plugin.panel.fragments import RenderedHtml
from plugin.panel.model import Row
from plugin.web import i18n

ROW_TEMPLATE = "panel/_row.html"
MAX_ROWS = 4096  # a few MB at most: enough for every row the reps of one worker are looking at


# Each entry holds its invoice: its id is in the key, and can't be reused while the entry keeps it alive.
_rendered: RenderedHtml[tuple[Invoice, Markup]] = RenderedHtml(MAX_ROWS)


@pass_context
def rendered_row(context: Context, row: Row) -> Markup:
    """The row's HTML, as `{% include "panel/_row.html" %}` would print it with `row` and `locale` set."""
    return _html(context, row, *_scope(context))


@pass_context
def rendered_rows(context: Context, rows: Iterable[Row]) -> Markup:
    """`rendered_row` for each row, one after the other: a list looks its locale, language and URL root up once."""
    scope = _scope(context)
    return Markup("").join(_html(context, row, *scope) for row in rows)


def _scope(context: Context) -> tuple[Any, str, str]:
    # The language of the words (plugin.web.i18n), which the formatting locale may not fix, is in the key too.
    return context.get("locale"), i18n.language(), request.script_root


def row_key(row: Row) -> Hashable:
    """What of a row its HTML shows, as far as the row decides it (its invoice by identity)."""
    return id(row.invoice), row.status, row.due, row.link, row.pinned


def _html(context: Context, row: Row, locale: Any, words: str, script_root: str) -> Markup:
    key = (*row_key(row), locale, words, script_root)
    found = _rendered.get(key)
    if found is not None and found[0] is row.invoice:  # an id can be reused once its invoice is gone
        return found[1]
    template = context.environment.get_template(ROW_TEMPLATE)
    html = Markup(template.render(row=row, locale=locale))  # noqa: S704 (the template autoescapes)
    _rendered.put(key, (row.invoice, html))
    return html
