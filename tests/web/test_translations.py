"""Every word people read is in every catalog, translated, with the same placeholders; the catalogs compiled into the
.mo files the app loads are the ones in the .po files; and the locale is chosen from the embed context, then the
browser, then English.

Messages are extracted from the sources exactly as `pybabel extract -F babel.cfg -k N_ -k Nn_:1,2` would
(plugin/translations' KEYWORDS and METHOD_MAP), so a string marked in a template or with N_/Nn_ and left out of a
catalog fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, g

from plugin.domain.text import N_, Nn_
from plugin.panel.model import left_out_notice
from plugin.runtime.snapshots import UnreadableInvoice
from plugin.translations import DIRECTORY, KEYWORDS, LANGUAGES, METHOD_MAP
from plugin.web import i18n
from plugin.xero.errors import BadXeroData, RateLimited

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")


def _extracted() -> dict[str | tuple[str, str], list[str]]:
    found: dict[str | tuple[str, str], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


EXTRACTED = _extracted()


def _catalog(language: str):
    with open(DIRECTORY / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_extraction_finds_the_marked_words_of_templates_python_and_the_domain():
    assert len(EXTRACTED) > 200
    assert "Owed" in EXTRACTED  # templates/panel
    assert "Connect to Xero" in EXTRACTED  # templates/admin
    assert "Can't open the Xero panel" in EXTRACTED  # templates/embed
    assert ("%(num)d day overdue", "%(num)d days overdue") in EXTRACTED  # plugin/domain, Nn_
    assert "Matched by %(rule)s" in EXTRACTED  # plugin/domain/matching
    assert "Unpaid" in EXTRACTED  # plugin/domain/invoices: the view tabs' names
    assert "Xero is busy. Try again in %(wait)s." in EXTRACTED  # plugin/xero/errors
    assert "This CRM link was already used. Reopen the panel from the CRM." in EXTRACTED  # plugin/embed
    assert "The installation was cancelled in Pipedrive. Nothing was stored." in EXTRACTED  # plugin/hosts views
    assert "Only Freshsales admins can connect Xero." in EXTRACTED  # plugin/hosts/freshworks_views
    assert "The Pipedrive token has expired. Reopen the panel from Pipedrive." in EXTRACTED  # plugin/hosts refusals
    assert "HubSpot isn't answering right now. Try again in a minute." in EXTRACTED  # plugin/hosts/hubspot_api
    assert "Xero invoices shows on Contact, Account and Opportunity pages only, not on %(object)s." in EXTRACTED
    assert "%(left)s of %(limit)s this minute" in EXTRACTED  # templates/admin/_diagnostics.html
    assert "%(percent)s%% (%(hits)s of %(lookups)s lookups answered without calling Xero)" in EXTRACTED
    assert "one without a readable number (%(reason)s)" in EXTRACTED  # plugin/panel/model
    assert "unknown currency '%(code)s'" in EXTRACTED  # plugin/runtime/snapshots
    assert ("%(num)d second", "%(num)d seconds") in EXTRACTED  # plugin/xero/errors' waits
    assert ("%(num)d minute", "%(num)d minutes") in EXTRACTED
    assert not any("democrm" in place for places in EXTRACTED.values() for place in places)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_in_the_catalog_translated_with_the_same_placeholders(language):
    catalog = _catalog(language)
    problems = []
    for message, places in EXTRACTED.items():
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing {msgid!r} ({places[0]})")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy {msgid!r}")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(message, tuple) != isinstance(entry.id, tuple):
            problems.append(f"plural form differs {msgid!r}")
        if not all(strings) or (len(strings) != catalog.num_plurals and isinstance(message, tuple)):
            problems.append(f"untranslated {msgid!r}")
        ids = message if isinstance(message, tuple) else (message,)
        wanted = _placeholders(ids[-1])
        for text in strings:
            # A singular may say "one" in words where English says %(num)d; every other placeholder must be there.
            have = _placeholders(text)
            if have != wanted and not (isinstance(message, tuple) and [p for p in wanted if p != "num"] ==
                                       [p for p in have if p != "num"]):
                problems.append(f"placeholders {msgid!r}: {have} != {wanted}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_po_file(language):
    with open(DIRECTORY / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = read_mo(handle)
    source = _catalog(language)
    def table(catalog):
        return {_key(message.id): _key(message.string) for message in catalog if message.id and not message.fuzzy}
    as_compiled, as_written = table(compiled), table(source)
    assert as_compiled == as_written, f"run: pybabel compile -d plugin/translations ({language} is stale)"


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize(("tag", "chosen"), [("de-DE", "de"), ("de", "de"), ("pt-BR", "pt_BR"), ("pt_PT", "pt_BR"),
                                             ("fr-CA", "fr"), ("es-MX", "es"), ("nl-BE", "nl"), ("en-NZ", "en"),
                                             ("ja-JP", None), ("", None), (None, None)])
def test_a_locale_tag_picks_the_catalog(tag, chosen):
    assert i18n.catalog_for(tag) == chosen


def test_the_embed_locale_wins_then_accept_language_then_english():
    app = Flask(__name__)
    with app.test_request_context(headers={"Accept-Language": "ja, fr;q=0.8"}):
        assert i18n.select_locale() == "fr"
        g.embed = type("Embed", (), {"user": type("User", (), {"locale": "nl-NL"})()})()
        assert i18n.select_locale() == "nl"
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert i18n.select_locale() == "en"


def test_domain_words_are_english_until_the_web_layer_translates_them(panel_like_app):
    due = Nn_("%(num)d day overdue", "%(num)d days overdue", 46)
    assert due == "46 days overdue"
    with panel_like_app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.translate(due) == "46 Tage überfällig"
        assert i18n.translate(N_("Matched by %(rule)s", rule=N_("the contact's email"))) == \
            "Zugeordnet über die E-Mail des Kontakts"
        assert i18n.translate("not a msgid") == "not a msgid"


@pytest.fixture
def panel_like_app():
    app = Flask(__name__)
    i18n.init_app(app)
    return app



def test_a_plural_with_other_placeholders_is_filled_once_translated(panel_like_app):
    several = Nn_("%(num)d Xero customer has the email “%(value)s”.",
                  "%(num)d Xero customers have the email “%(value)s”.", 2, value="a@b.test")
    with panel_like_app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.translate(several) == "2 Xero-Kunden haben die E-Mail-Adresse „a@b.test“."


def test_a_rate_limit_wait_is_said_in_the_languages_plural(panel_like_app):
    with panel_like_app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.translate(RateLimited(1).user_message) == \
            "Xero ist ausgelastet. Versuchen Sie es in 1 Sekunde erneut."
        assert i18n.translate(RateLimited(40).user_message) == \
            "Xero ist ausgelastet. Versuchen Sie es in 40 Sekunden erneut."
        assert "3 Minuten" in i18n.translate(RateLimited(180).user_message)
    with panel_like_app.test_request_context(headers={"Accept-Language": "fr"}):
        assert "40 secondes" in i18n.translate(RateLimited(40).user_message)


def test_an_unreadable_invoices_reason_is_translated_with_its_notice(panel_like_app):
    unreadable = [UnreadableInvoice.of({}, BadXeroData("Date", None, "missing")),
                  UnreadableInvoice.of({"InvoiceNumber": "INV-7"}, BadXeroData("CurrencyCode", "XQZ", "unknown"))]
    notice = left_out_notice(unreadable)
    with panel_like_app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.translate(notice.message) == (
            "2 Rechnungen aus Xero konnten nicht gelesen werden und fehlen in dieser Liste und den Summen: eine ohne "
            "lesbare Nummer (kein Date), INV-7 (unbekannte Währung 'XQZ').")
    assert notice.message.endswith("one without a readable number (no Date), INV-7 (unknown currency 'XQZ').")
