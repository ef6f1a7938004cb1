"""Each invoice row's HTML, rendered once per worker and reused while nothing it shows has changed.

Rendering a row (`templates/panel/_row.html` with its payments popover) costs a Jinja include, a
`url_for` and a handful of filters; a panel shows 25 of them and reps switch views all day over the
same rows. `rendered_row(row)` keys the finished HTML by everything the template reads: the `Row`
itself (the invoice with all its fields, its status, instalments, deep link and pin state, compared
by value), the rep's locale, and the app's URL root. Any change to one of them is a different key, so
a reused row is byte-for-byte what rendering it again would give.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from plugin.panel.model import Row

ROW_TEMPLATE = "panel/_row.html"
MAX_ROWS = 4096  # a few MB at most: enough for every row the reps of one worker are looking at


class RenderedRows:
    """A bounded, thread-safe LRU of finished row HTML."""

    def __init__(self, max_entries: int = MAX_ROWS) -> None:
        self.max_entries = max_entries
        self._html: OrderedDict[Any, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Markup | None:
        with self._lock:
            html = self._html.get(key)
            if html is not None:
                self._html.move_to_end(key)
            return html

    def put(self, key: Any, html: Markup) -> None:
        with self._lock:
            self._html[key] = html
            while len(self._html) > self.max_entries:
                self._html.popitem(last=False)


_rendered = RenderedRows()


@pass_context
def rendered_row(context: Context, row: Row) -> Markup:
    """The row's HTML, as `{% include "panel/_row.html" %}` would print it with `row` and `locale` set."""
    locale = context.get("locale")
    key = (row, locale, request.script_root)
    html = _rendered.get(key)
    if html is None:
        template = context.environment.get_template(ROW_TEMPLATE)
        html = Markup(template.render(row=row, locale=locale))  # noqa: S704 (the template autoescapes)
        _rendered.put(key, html)
    return html


def init_app(app: Flask) -> None:
    app.jinja_env.globals["rendered_row"] = rendered_row
