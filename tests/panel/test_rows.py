"""Row HTML is reused only while everything it shows is unchanged, and is what including _row.html prints."""

from __future__ import annotations

from dataclasses import replace

from flask import render_template_string
from jinja2 import meta, nodes

from plugin.domain.invoices import display_status, instalments
from plugin.panel.model import Row
from plugin.panel.rows import ROW_TEMPLATE
from plugin.web import formatting
from tests.panel.builders import make_invoice, make_payment

INCLUDED = '{% for row in rows %}{% include "panel/_row.html" %}{% endfor %}'
REUSED = "{% for row in rows %}{{ rendered_row(row) }}{% endfor %}"
REUSED_LIST = "{{ rendered_rows(rows) }}"


def _row(**fields) -> Row:
    invoice = make_invoice(paid="40.00", payments=(make_payment("40.00", "2026-02-10", reference="first"),), **fields)
    return Row(invoice, display_status(invoice, invoice.date), instalments(invoice), "https://go/inv", pinned=False)


def test_a_reused_row_prints_exactly_what_the_include_prints(app):
    rows = [_row(), _row(currency="JPY", total="1500")]
    with app.test_request_context():
        for locale in ("en-NZ", "de-DE"):
            settings = {"rows": rows, "locale": formatting.user_locale(locale)}
            assert render_template_string(REUSED, **settings) == render_template_string(INCLUDED, **settings)
            assert render_template_string(REUSED, **settings) == render_template_string(INCLUDED, **settings)
            assert render_template_string(REUSED_LIST, **settings) == render_template_string(INCLUDED, **settings)


def test_a_changed_pin_or_locale_is_rendered_again(app):
    row = _row()
    with app.test_request_context():
        english = {"locale": formatting.user_locale("en-NZ")}
        first = render_template_string(REUSED, rows=[row], **english)
        pinned = render_template_string(REUSED, rows=[replace(row, pinned=True)], **english)
        german = render_template_string(REUSED, rows=[row], locale=formatting.user_locale("de-DE"))
    assert 'aria-pressed="false"' in first and 'aria-pressed="true"' in pinned
    assert "$60.00" in first and "60,00" in german


def _reads_of(env, name: str, given: frozenset[str] = frozenset()) -> tuple[set[str], set[str], set[str]]:
    """The variables a template (and every template it includes) takes from its context, the app globals it calls
    and the filters it uses. Names the including template sets ({% set %}, loops) are given to what it includes."""
    tree = env.parse(env.loader.get_source(env, name)[0])
    variables = set(meta.find_undeclared_variables(tree)) - given  # leaves out the environment's globals
    assigned = given | {node.name for node in tree.find_all(nodes.Name) if node.ctx == "store"}
    globals_used = {node.name for node in tree.find_all(nodes.Name)
                    if node.ctx == "load" and node.name in env.globals and node.name not in assigned}
    filters = {node.name for node in tree.find_all(nodes.Filter)}
    for included in meta.find_referenced_templates(tree):
        assert included is not None, f"{name} includes a template chosen at render time"
        more = _reads_of(env, included, frozenset(assigned))
        variables, globals_used, filters = variables | more[0], globals_used | more[1], filters | more[2]
    return variables, globals_used, filters


def test_a_row_reads_nothing_per_user_but_the_locale_so_its_html_can_be_shared(app):
    """The row memo keys a row's HTML by the row, the locale and the URL root (plugin.panel.rows). That is safe only
    while panel/_row.html, with what it includes, reads nothing else: no user, time zone, session or request."""
    variables, globals_used, filters = _reads_of(app.jinja_env, ROW_TEMPLATE)
    assert variables == {"row"}
    assert globals_used == {"url_for", "_"}  # the URL root and the language of the words, both in the key
    reading_the_context = {name for name in filters
                           if getattr(getattr(app.jinja_env.filters[name], "jinja_pass_arg", None), "name", "")
                           == "context"}
    assert reading_the_context == {"money", "day"}  # each reads `locale` alone (plugin.web.formatting)


def test_a_row_is_the_same_for_two_reps_with_one_locale(app):
    row = _row()
    with app.test_request_context():
        locale = formatting.user_locale("en-NZ")
        first = render_template_string(INCLUDED, rows=[row], locale=locale, timezone="Pacific/Auckland",
                                       user={"id": "u1"}, session_token="one")
        second = render_template_string(INCLUDED, rows=[row], locale=locale, timezone="Europe/Berlin",
                                        user={"id": "u2"}, session_token="two")
    assert first == second
