"""Summary HTML is reused only while everything it shows is unchanged, and is what including _summary.html prints."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import render_template_string

from plugin.panel.model import PanelQuery, build_panel
from plugin.panel.summary import SUMMARY_TEMPLATE
from plugin.web import formatting
from tests.panel.builders import make_invoice
from tests.panel.test_rows import _reads_of

INCLUDED = '{% include "panel/_summary.html" %}'
REUSED = "{{ rendered_summary(page) }}"
TODAY = date(2026, 3, 1)


def _page(*invoices, query: PanelQuery | None = None, base_currency: str = "NZD"):
    return build_panel(tuple(invoices), query or PanelQuery(), today=TODAY, pinned_ids=(),
                       link_for=lambda invoice: "", fetched_at=None, base_currency=base_currency)


def _pages():
    owed = make_invoice(total="120.00", due_date="2026-02-10")
    yield _page(owed, make_invoice(total="80.00", paid="80.00"), make_invoice(total="15000.00", due_date="2026-01-01"))
    yield _page(owed, make_invoice(total="500", currency="JPY", due_date="2025-12-01"))
    yield _page(owed, make_invoice(total="500", currency="JPY"), base_currency="JPY")
    yield _page(owed, query=PanelQuery(q="INV"))
    yield _page(make_invoice(total="50.00", paid="50.00"))
    yield _page()


def test_a_reused_summary_prints_exactly_what_the_include_prints(app):
    with app.test_request_context():
        for page in _pages():
            for locale in ("en-NZ", "de-DE", "ja-JP"):
                settings = {"page": page, "locale": formatting.user_locale(locale)}
                included = render_template_string(INCLUDED, **settings)
                assert render_template_string(REUSED, **settings) == included  # rendered
                assert render_template_string(REUSED, **settings) == included  # reused


def test_a_changed_amount_narrowing_or_locale_is_rendered_again(app):
    page = _page(make_invoice(total="120.00", due_date="2026-02-10"))
    more = _page(make_invoice(total="130.00", due_date="2026-02-10"))
    with app.test_request_context():
        english = {"locale": formatting.user_locale("en-NZ")}
        first = render_template_string(REUSED, page=page, **english)
        changed = render_template_string(REUSED, page=more, **english)
        narrowed = render_template_string(REUSED, page=replace(page, query=PanelQuery(q="INV")), **english)
        german = render_template_string(REUSED, page=page, locale=formatting.user_locale("de-DE"))
    assert "$120.00" in first and "$130.00" in changed and "120,00" in german
    assert "Covers all invoices" in narrowed and "Covers all invoices" not in first


def test_the_summary_reads_nothing_per_user_but_the_locale_so_its_html_can_be_shared(app):
    """The summary memo keys its HTML by the page's ageing, totals, summary currency and narrowing, `oob`, the locale,
    the language and the URL root (plugin.panel.summary): safe only while panel/_summary.html, with what it includes,
    reads nothing else."""
    variables, globals_used, filters = _reads_of(app.jinja_env, SUMMARY_TEMPLATE)
    assert variables == {"page", "oob"}
    # the URL root and the language of the words are in the key; namespace() is Jinja's own
    assert globals_used == {"url_for", "_", "ngettext", "namespace"}
    reading_the_context = {name for name in filters
                           if getattr(getattr(app.jinja_env.filters[name], "jinja_pass_arg", None), "name", "")
                           == "context"}
    assert reading_the_context == {"money", "money_short"}  # each reads `locale` alone (plugin.web.formatting)
