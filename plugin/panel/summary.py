"""The summary's HTML (`templates/panel/_summary.html`), rendered once per worker and reused while it is unchanged.

The summary covers every invoice of the contact, whatever the list below shows, so view switches, searches and
filters (most of a rep's clicks) re-render the panel around the same summary: per currency four amounts, JSON, plurals
and a bar for each of six buckets, about a third of a warm render's template time. `rendered_summary(page)` keys
the finished HTML by the values the template reads: the per-currency ageing and totals, the currency it opens on,
whether the list is narrowed, `oob`, the rep's locale and the language of the words, and the app's URL root. Values,
never identities: an equal key renders equal HTML. Equal amounts print alike (Babel rounds to the currency's
digits) except zero, whose sign Babel prints, so the key also holds each amount's sign. That holds only while the
template reads nothing else: tests/panel/test_summary.py checks its variables, globals and filters with jinja2.meta.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from plugin.domain.money import Money
from plugin.panel.fragments import RenderedHtml, render_once
from plugin.panel.model import PanelPage
from plugin.web import i18n

SUMMARY_TEMPLATE = "panel/_summary.html"
MAX_SUMMARIES = 2048  # a few kB each: every contact the reps of one worker have open, in each language
_rendered: RenderedHtml[Markup] = RenderedHtml(MAX_SUMMARIES)


def _amounts(page: PanelPage) -> Iterator[Money]:
    for entry in page.ageing:
        yield entry.owed
        yield entry.overdue
        for bucket in entry.buckets:
            yield bucket.amount
    for totals in page.totals:
        yield totals.paid
        yield totals.unpaid
        yield totals.credited


@pass_context
def rendered_summary(context: Context, page: PanelPage) -> Markup:
    """The summary's HTML, as `{% include "panel/_summary.html" %}` would print it with `page`, `locale` and `oob`."""
    locale = context.get("locale")
    oob = context.get("oob")  # None when the including template has none: `oob|default(false)` reads it as false
    signs = tuple(amount.amount.is_signed() for amount in _amounts(page))
    key = (page.ageing, page.totals, signs, page.summary_currency, page.query.is_narrowed, oob, locale,
           i18n.language(), request.script_root)
    given = {"page": page, "locale": locale} | ({} if oob is None else {"oob": oob})
    return render_once(context, _rendered, key, SUMMARY_TEMPLATE, given)
