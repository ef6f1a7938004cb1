"""Finished HTML of the list's chrome, rendered once per worker and reused while what it shows is unchanged.

Above the rows every list request prints the five view tabs with their counts (`templates/panel/_views.html`),
and the whole panel also prints the folded search and date form (`templates/panel/_filters.html`) and how the
customer was found (`templates/panel/_contact.html`): thirty-odd translated words, URLs and attributes that a rep's
clicks seldom change, about a third of a warm render's template time. `rendered_views(page)`,
`rendered_filters(page)` and `rendered_contact(page)` key the HTML by the values those templates read: for the tabs
the selected view and each view's count, for the form the query (search, dates, view, bucket, currency, row count)
and the date message, for the contact line the match's rule and method; each by `oob` or whatever else its template
reads from the context, the language of the words and the app's URL root.
Values, never identities: an equal key renders equal HTML, whoever asks. That holds only while the templates read
nothing else: tests/panel/test_fragments.py checks their variables and globals with jinja2.meta.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeVar

from flask import request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from plugin.domain.text import Message, Said
from plugin.panel.model import PanelPage
from plugin.runtime.lru import SharedLru
from plugin.web import i18n

VIEWS_TEMPLATE = "panel/_views.html"
FILTERS_TEMPLATE = "panel/_filters.html"
CONTACT_TEMPLATE = "panel/_contact.html"
CONTACT_STEPS = ("asking_unlink", "focus_unlink", "contact_q")  # set by the unlink and search answers, not the panel
Value = TypeVar("Value")
MAX_FRAGMENTS = 4096  # one or two kB each: every query the reps of one worker have open, in each language


# Finished HTML, or what a memo keeps with it, by a key of values: a bounded LRU the app's threads share.
RenderedHtml = SharedLru[Hashable, Value]


def render_once(context: Context, memo: RenderedHtml[Markup], key: Hashable, template: str,
                given: dict[str, Any]) -> Markup:
    """`template` rendered with `given` alone, or the HTML an equal `key` rendered before."""
    html = memo.get(key)
    if html is None:
        html = Markup(context.environment.get_template(template).render(given))  # noqa: S704 (it autoescapes)
        memo.put(key, html)
    return html


_rendered: RenderedHtml[Markup] = RenderedHtml(MAX_FRAGMENTS)


@pass_context
def rendered_views(context: Context, page: PanelPage, oob: bool = False) -> Markup:
    """The view tabs, as `{% include "panel/_views.html" %}` prints them with `page` and `oob`."""
    counts = tuple(page.counts.get(view, 0) for view in page.views)
    key = (VIEWS_TEMPLATE, page.query.view, counts, oob, i18n.language(), request.script_root)
    return render_once(context, _rendered, key, VIEWS_TEMPLATE, {"page": page, "oob": oob})


@pass_context
def rendered_filters(context: Context, page: PanelPage) -> Markup:
    """The search and date form, as `{% include "panel/_filters.html" %}` prints it with `page`."""
    key = (FILTERS_TEMPLATE, page.query, words_key(page.date_message), i18n.language(), request.script_root)
    return render_once(context, _rendered, key, FILTERS_TEMPLATE, {"page": page})


@pass_context
def rendered_contact(context: Context, page: PanelPage) -> Markup:
    """How the customer was found and the way to change it, as `{% include "panel/_contact.html" %}` prints it."""
    match = page.match
    steps = {name: context.get(name) for name in CONTACT_STEPS if context.get(name) is not None}
    key = (CONTACT_TEMPLATE, words_key(match.description), match.method, tuple(steps.items()), i18n.language(),
           request.script_root)
    return render_once(context, _rendered, key, CONTACT_TEMPLATE, {"page": page, **steps})


def words_key(text: str) -> Hashable:
    """Marked words equal their English text: the key holds what `_()` reads of them (plugin.domain.text.Said)."""
    return Said.of(text) if isinstance(text, Message) else text
