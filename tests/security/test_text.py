"""Bidi controls in Xero text are stripped (plugin.domain.text.clean_text), everywhere the templates print it."""

from __future__ import annotations

import pytest

from plugin.domain.text import BIDI_CONTROLS, clean_text
from tests.panel.test_views import rows_of
from tests.security.conftest import contact_record, text_of

ALL_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_clean_text_strips_every_bidi_control_and_nothing_else():
    assert set(ALL_CONTROLS) == BIDI_CONTROLS
    assert clean_text(f"INV-{ALL_CONTROLS}0001") == "INV-0001"
    assert clean_text("Kōwhai Design Studio — 株式会社 ‏") == "Kōwhai Design Studio — 株式会社 "
    assert clean_text("عربي עברית") == "عربي עברית"
    plain = "INV-0001"
    assert clean_text(plain) is plain


@pytest.mark.parametrize("control", list(ALL_CONTROLS))
def test_each_control_is_removed(control):
    assert clean_text(f"a{control}b") == "ab"


def test_the_panel_prints_xero_text_without_bidi_controls(panel, emulator, connected, customer):
    emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], number="INV-\u202e0001-FDP")
    page = panel.open(contact_record(customer))
    assert page.status_code == 200
    body = text_of(panel.get("/panel/invoices", view="unpaid"))
    assert not BIDI_CONTROLS & set(body)
    assert "INV-0001-FDP" in rows_of(panel.get("/panel/invoices", view="unpaid"))
