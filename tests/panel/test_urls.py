"""Templates' url_for gives Flask's answer, remembered only for plain relative URLs."""

from __future__ import annotations

from flask import render_template_string, url_for


def test_template_urls_are_flasks_and_follow_the_url_root(app):
    page = "{{ url_for('panel.invoices') }} {{ url_for('panel.toggle_pin', invoice_id='a b') }}"
    with app.test_request_context():
        expected = f"{url_for('panel.invoices')} {url_for('panel.toggle_pin', invoice_id='a b')}"
        assert render_template_string(page) == expected
        assert render_template_string("{{ url_for('panel.invoices', _external=True) }}").startswith("http://")
    with app.test_request_context(environ_overrides={"SCRIPT_NAME": "/crm-plugin"}):
        assert render_template_string(page).startswith("/crm-plugin/panel/invoices /crm-plugin/panel/pins/a%20b")
