"""The panel in the rep's language: a de-DE rep reads German words (and German amounts), an English rep English,
and the language of a row's words is part of the row memo's key, so two reps never share a row in two languages."""

from __future__ import annotations

import re

import pytest

from tests.panel.conftest import contact_record, text_of


def _words(response) -> str:
    return _words_of(text_of(response))


def _words_of(text: str) -> str:
    text = re.sub(r"<script.*?</script>|<svg.*?</svg>", " ", text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def test_a_german_rep_reads_the_panel_in_german(panel, customer):
    response = panel.open(contact_record(customer), locale="de-DE", tz="Europe/Berlin")
    assert response.status_code == 200
    page = panel.get("/panel/invoices", view="unpaid")
    words = _words(response) + _words(page)
    for german in ("Offen", "Insgesamt bezahlt", "Aktualisieren", "Rechnungsnummer", "Filter", "Überfällig",
                   "überfällig", "Zugeordnet über die E-Mail des Kontakts"):
        assert german in words, german
    assert re.search(r"\d+ Tage? überfällig|Fällig in \d+ Tagen?|Heute fällig|Morgen fällig", words)
    for english in ("Total paid", "Refresh", "Invoice number", "days overdue", "Due in", "Matched by", "Owed"):
        assert english not in words, english


def test_an_english_rep_still_reads_english(panel, customer):
    words = _words(panel.open(contact_record(customer), locale="en-NZ"))
    assert "Total paid" in words and "Refresh" in words and "Insgesamt" not in words


@pytest.mark.parametrize(("locale", "word"), [("fr-FR", "Total payé"), ("es-ES", "Total pagado"),
                                              ("nl-NL", "Totaal betaald"), ("pt-BR", "Total pago")])
def test_each_language_has_its_words(panel, customer, locale, word):
    assert word in _words(panel.open(contact_record(customer), locale=locale))


def test_a_row_is_not_shared_between_two_languages(panel, customer):
    english_page = text_of(panel.open(contact_record(customer), locale="en-NZ", user_id="u1"))
    german_page = text_of(panel.open(contact_record(customer), locale="de-DE", user_id="u2"))
    assert 'title="Pin to this record"' in english_page and 'title="An diesen Datensatz anheften"' in german_page
    english, german = _words_of(english_page), _words_of(german_page)
    assert re.search(r"days overdue|Due in|Due today", english)
    assert not re.search(r"days overdue|Due in \d", german)


def test_an_unmatched_record_says_what_was_tried_in_german(panel, connected):
    record = {"type": "contact", "id": "nobody", "name": "Nora Nomatch", "email": "nora@nowhere.test"}
    words = _words(panel.open(record, locale="de-DE"))
    assert "Was wir versucht haben:" in words
    assert "Kein Xero-Kunde hat die E-Mail-Adresse „nora@nowhere.test“ (die E-Mail des Kontakts)." in words
    assert "No Xero customer" not in words


def test_an_error_page_is_in_the_browsers_language(panel_app):
    response = panel_app.test_client().get("/panel", query_string={"context": "not-a-jwt"},
                                           headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert response.status_code == 401
    words = _words(response)
    assert "Das Xero-Panel kann nicht geöffnet werden" in words
    assert "Öffnen Sie das Panel erneut aus dem CRM." in words or "Öffnen Sie es erneut aus dem CRM." in words
    assert "Can't open" not in words and "Reopen" not in words
