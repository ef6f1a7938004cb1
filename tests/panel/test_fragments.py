"""The tabs' and the filter form's HTML is reused only while what they show is unchanged, and is what including
their templates prints."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import render_template_string

from plugin.domain.invoices import View
from plugin.domain.matching import ContactMatch, MatchMethod
from plugin.panel.fragments import CONTACT_TEMPLATE, FILTERS_TEMPLATE, VIEWS_TEMPLATE
from plugin.panel.model import PanelQuery, build_panel
from tests.panel.builders import make_invoice
from tests.panel.test_rows import _reads_of

TODAY = date(2026, 3, 1)
VIEWS_INCLUDED = '{% include "panel/_views.html" %}'
VIEWS_OOB_INCLUDED = '{% with oob = true %}{% include "panel/_views.html" %}{% endwith %}'
FILTERS_INCLUDED = '{% include "panel/_filters.html" %}'
CONTACT_INCLUDED = '{% include "panel/_contact.html" %}'
MATCHES = (ContactMatch(MatchMethod.EMAIL, contact_id="c-1", contact_name="Acme", rule="the contact's email"),
           ContactMatch(MatchMethod.COMPANY, contact_id="c-1", contact_name="Acme"),
           ContactMatch(MatchMethod.LINKED, contact_id="c-1", contact_name="Acme"))


def _page(*invoices, query: PanelQuery | None = None):
    return build_panel(tuple(invoices), query or PanelQuery(), today=TODAY, pinned_ids=(),
                       link_for=lambda invoice: "", fetched_at=None, base_currency="NZD")


def _pages():
    owed = make_invoice(total="120.00", due_date="2026-02-10")
    paid = make_invoice(total="80.00", paid="80.00")
    yield _page(owed, paid)
    yield _page(owed, paid, query=PanelQuery(view=View.PAID))
    yield _page(owed, query=PanelQuery(q="INV-00", start="2026-01-01", end="2026-02-01", limit=50))
    yield _page(owed, query=PanelQuery(start="2026-03-01", end="2026-01-01"))  # the end-before-start message
    yield _page(owed, query=PanelQuery(start="not a date"))
    yield _page()


def test_reused_tabs_and_filters_print_exactly_what_the_includes_print(app):
    for language in ("en", "de"):
        with app.test_request_context(headers={"Accept-Language": language}):
            for page in _pages():
                for included, reused in ((VIEWS_INCLUDED, "{{ rendered_views(page) }}"),
                                         (VIEWS_OOB_INCLUDED, "{{ rendered_views(page, oob=true) }}"),
                                         (FILTERS_INCLUDED, "{{ rendered_filters(page) }}")):
                    expected = render_template_string(included, page=page)
                    assert render_template_string(reused, page=page) == expected  # rendered
                    assert render_template_string(reused, page=page) == expected  # reused
            for match in MATCHES:
                page = replace(_page(), match=match)
                expected = render_template_string(CONTACT_INCLUDED, page=page)
                assert render_template_string("{{ rendered_contact(page) }}", page=page) == expected
                assert render_template_string("{{ rendered_contact(page) }}", page=page) == expected


def test_a_contact_line_asked_to_unlink_is_not_the_plain_one(app):
    page = replace(_page(), match=MATCHES[2])
    with app.test_request_context():
        plain = render_template_string("{{ rendered_contact(page) }}", page=page)
        asking = render_template_string("{{ rendered_contact(page) }}", page=page, asking_unlink=True)
        matched = render_template_string("{{ rendered_contact(page) }}", page=replace(page, match=MATCHES[0]))
    assert "Yes, unlink" in asking and "Yes, unlink" not in plain
    assert "Linked by hand" in plain and "Matched by the contact" in matched


def test_a_changed_count_view_search_date_message_or_language_is_rendered_again(app):
    owed = make_invoice(total="120.00", due_date="2026-03-20")  # not yet due: Open
    one, two = _page(owed), _page(owed, make_invoice(total="5.00", due_date="2026-03-21"))
    with app.test_request_context():
        tabs = render_template_string("{{ rendered_views(page) }}", page=one)
        more_tabs = render_template_string("{{ rendered_views(page) }}", page=two)
        paid = _page(owed, query=PanelQuery(view=View.PAID))
        paid_tab = render_template_string("{{ rendered_views(page) }}", page=paid)
        form = render_template_string("{{ rendered_filters(page) }}", page=one)
        searched = render_template_string("{{ rendered_filters(page) }}", page=_page(owed, query=PanelQuery(q="INV-7")))
        backwards = render_template_string("{{ rendered_filters(page) }}",
                                           page=_page(owed, query=PanelQuery(start="2026-03-01", end="2026-01-01")))
    with app.test_request_context(headers={"Accept-Language": "de"}):
        german = render_template_string("{{ rendered_views(page) }}", page=one)
    assert 'id="count-open" class="views__count">1<' in tabs and 'id="count-open" class="views__count">2<' in more_tabs
    assert 'id="tab-open" class="views__tab" aria-selected="true"' in tabs
    assert 'id="tab-paid" class="views__tab" aria-selected="true"' in paid_tab
    assert 'value="INV-7"' in searched and 'value="INV-7"' not in form
    assert 'id="date-message"' in backwards and 'id="date-message"' not in form
    assert "Offen" in german and "Offen" not in tabs


def test_the_tabs_form_and_contact_line_read_nothing_per_user_so_their_html_can_be_shared(app):
    """The memo keys the tabs by the selected view, the counts and `oob`, the form by the query and the date message,
    the contact line by the match's rule and method and the unlink and search steps, each by the language and the URL
    root (plugin.panel.fragments): safe only while the templates, with what they include, read nothing else: no
    user, locale, time zone, session or request."""
    variables, globals_used, filters = _reads_of(app.jinja_env, VIEWS_TEMPLATE)
    assert variables == {"page", "oob"}
    assert globals_used == {"url_for", "_"}
    assert filters <= {"default"}
    variables, globals_used, filters = _reads_of(app.jinja_env, FILTERS_TEMPLATE)
    assert variables == {"page", "oob"}  # `oob` of what it includes, never set here: the memo renders without it
    assert globals_used == {"url_for", "_"}
    assert filters <= {"default"}
    variables, globals_used, filters = _reads_of(app.jinja_env, CONTACT_TEMPLATE)
    assert variables == {"page", "asking_unlink", "focus_unlink", "contact_q"}  # the last three are in the key
    assert globals_used <= {"url_for", "_"}
    assert filters <= {"default"}
