"""Unlink asks inside the page, in two steps, like the admin's Remove: hx-confirm's window.confirm is dropped in the
CRM's sandboxed iframe, so a button that relied on it would do nothing."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.panel.conftest import text_of

NOBODY = {"type": "contact", "id": "c-404", "name": "Nobody", "email": "nobody@nowhere.example"}


def attribute(html: str, name: str) -> str:
    return unescape(re.search(rf'{name}="([^"]*)"', html).group(1))


@pytest.fixture
def linked(panel, emulator, connected):
    customer = emulator.state.customers(connected["tenant_id"])[4]
    panel.open(NOBODY)
    panel.post("/panel/link", contact_id=customer["contact_id"])
    return text_of(panel.open(NOBODY))


def test_unlink_asks_in_the_page_then_unlinks_only_on_yes(panel, linked):
    assert "hx-confirm" not in linked
    unlink = re.search(r'<button[^>]*hx-get="(/panel/unlink)"[^>]*>Unlink</button>', linked)
    assert unlink and "autofocus" not in unlink.group(0)

    question = text_of(panel.get(unlink.group(1)))
    assert "Unlink this Xero customer from this record?" in question
    assert 'role="group"' in question and "data-unlink-confirm" in question
    yes = re.search(r"<button[^>]*>Yes, unlink</button>", question, re.S).group(0)
    assert "autofocus" in yes and 'hx-post="/panel/unlink"' in yes and 'hx-target="#panel"' in yes
    assert "Linked by hand" in text_of(panel.get("/panel/invoices")), "asking unlinks nothing"

    cancel = attribute(question.split("data-unlink-cancel", 1)[1], "hx-get")
    assert cancel == "/panel/unlink?answer=cancel"
    back = text_of(panel.get("/panel/unlink", answer="cancel"))
    assert re.search(r"<button[^>]*autofocus[^>]*>Unlink</button>", back, re.S) and "Yes, unlink" not in back
    assert "Linked by hand" in text_of(panel.get("/panel/invoices"))

    assert "couldn't tell which Xero customer" in text_of(panel.post("/panel/unlink"))


def test_admin_remove_and_panel_unlink_share_one_question_partial():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    for partial in ("admin/_remove.html", "panel/_unlink.html"):
        source = (templates / partial).read_text()
        assert 'import confirm_question' in source and 'role="group"' not in source
