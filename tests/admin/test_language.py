"""The admin page in the admin's language (the context's user locale)."""

from __future__ import annotations

import re

from tests.admin.conftest import context_claims
from tests.admin.test_connect_flow import STUDIO


def test_a_german_admin_reads_the_settings_page_in_german(admin):
    claims = context_claims(admin.account, role="admin", user_id=admin.user_id)
    response = admin.open(admin.context(user={**claims["user"], "locale": "de-DE", "tz": "Europe/Berlin"}))
    assert response.status_code == 200
    words = re.sub(r"<[^>]+>", " ", response.text)
    for german in ("Xero-Integration", "Verbindung", "Mit Xero verbinden", "Diagnose anzeigen",
                   "Liest nur aus Xero und ändert dort nie etwas."):
        assert german in words, german
    for english in ("Connect to Xero", "Show diagnostics", "Connection", "It only reads from Xero"):
        assert english not in words, english


def test_a_german_admin_reads_the_diagnostics_number_lines_in_german(admin):
    claims = context_claims(admin.account, role="admin", user_id=admin.user_id)
    assert admin.open(admin.context(user={**claims["user"], "locale": "de-DE"})).status_code == 200
    admin.connect(tenant_names=[STUDIO])
    admin.post("/admin/save")
    report = admin.get("/admin/diagnostics")
    budget = re.sub(r"\s+", " ", report.text.split('data-field="budget">')[1].split("</dd>")[0]).strip()
    assert re.fullmatch(r"\d+ von \d+ in dieser Minute, \d+ von \d+ heute", budget), budget
    assert "this minute" not in report.text and "today" not in report.text
