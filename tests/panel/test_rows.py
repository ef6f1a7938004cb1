"""Row HTML is reused only while everything it shows is unchanged, and is what including _row.html prints."""

from __future__ import annotations

from dataclasses import replace

from flask import render_template_string

from plugin.domain.invoices import display_status, instalments
from plugin.panel.model import Row
from plugin.web import formatting
from tests.panel.builders import make_invoice, make_payment

INCLUDED = '{% for row in rows %}{% include "panel/_row.html" %}{% endfor %}'
REUSED = "{% for row in rows %}{{ rendered_row(row) }}{% endfor %}"


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


def test_a_changed_pin_or_locale_is_rendered_again(app):
    row = _row()
    with app.test_request_context():
        english = {"locale": formatting.user_locale("en-NZ")}
        first = render_template_string(REUSED, rows=[row], **english)
        pinned = render_template_string(REUSED, rows=[replace(row, pinned=True)], **english)
        german = render_template_string(REUSED, rows=[row], locale=formatting.user_locale("de-DE"))
    assert 'aria-pressed="false"' in first and 'aria-pressed="true"' in pinned
    assert "$60.00" in first and "60,00" in german
