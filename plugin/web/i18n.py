"""The panel's words in the rep's language: Flask-Babel catalogs chosen per request.

The locale is the embed context's user locale when the request carries one (`flask.g.embed`, set by
plugin.embed), else the browser's Accept-Language, else English. Tags are reduced to the catalogs we ship:
"de-DE" → "de", "pt-BR" → "pt_BR" (any other Portuguese also "pt_BR"), anything else → "en".

Lower layers (domain, xero, services) keep their words in English: the English text is the msgid, marked
with the no-op `N_` of plugin.domain.text so extraction finds it, and the templates translate it at render
time with `_()`. Catalogs live in plugin/translations/<lang>/LC_MESSAGES/messages.po, compiled to .mo and
committed beside them (a wheel carries both; tests/web/test_translations.py fails when a .mo is stale).
"""

from __future__ import annotations

import flask_babel
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_translations

from plugin.domain.text import N_, Message, Nn_
from plugin.web.paths import TRANSLATIONS_DIR

DEFAULT = "en"
LANGUAGES = ("en", "de", "fr", "es", "nl", "pt_BR")


def catalog_for(tag: str | None) -> str | None:
    """The catalog for a locale tag ("de-DE" → "de", "pt-BR" → "pt_BR"), or None when we ship none for it."""
    text = (tag or "").strip().replace("-", "_")
    if not text:
        return None
    language = text.split("_", 1)[0].lower()
    if language == "pt":
        return "pt_BR"
    return language if language in LANGUAGES else None


def select_locale() -> str:
    """The embed context's user locale, else one a host verified before the context exists (`use_verified_locale`),
    else Accept-Language, else English."""
    if not has_request_context():
        return DEFAULT
    embed = g.get("embed")
    user = getattr(embed, "user", None)
    chosen = catalog_for(getattr(user, "locale", None)) or catalog_for(g.get("verified_locale"))
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        chosen = catalog_for(tag)
        if chosen:
            return chosen
    return DEFAULT


def use_verified_locale(tag: str | None) -> None:
    """The user's locale as a host signed it, known before the embed context is (HubSpot's signed request names it):
    from here on this request's words are in its language, a refusal's too, whatever the Accept-Language of whoever
    relayed the request. What was looked up for another language this request is forgotten."""
    g.verified_locale = tag
    g.pop("_xero_panel_catalog", None)
    g.pop("_xero_panel_language", None)
    flask_babel.refresh()


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_domain="messages",
          default_translation_directories=str(TRANSLATIONS_DIR))
    # Flask-Babel's template callables look the catalog up through the app and request contexts on every call
    # (a panel says ~10 plurals); these read the request's catalog looked up once (`_catalog`), same words.
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: _catalog().ugettext(message),
        ngettext=lambda singular, plural, count: _catalog().ungettext(singular, plural, count),
        pgettext=lambda context, message: _catalog().upgettext(context, message),
        npgettext=lambda context, singular, plural, count: _catalog().unpgettext(context, singular, plural, count),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_translate, gettext=_translate, client_words=client_words)


def _translate(message: object, **variables: object) -> object:
    """Jinja's `_()`/`gettext()`: a literal msgid from the template, or words a lower layer marked (a
    plugin.domain.text.Message: its msgid, plural and placeholders), or plain text, looked up as its own msgid.
    The result is plain text, so autoescaping escapes it with whatever it was filled with (msgids hold no HTML; a
    customer's name in a placeholder stays text). Empty and non-text values pass through (gettext("") would be the
    catalog's header)."""
    if not isinstance(message, str) or not message:
        return message
    if isinstance(message, Message):
        return _translated(message)
    translated = _catalog().ugettext(message)
    return translated % variables if variables else translated


def _translated(message: Message) -> str:
    # The catalog's raw lookups (Flask-Babel's gettext/ngettext would fill placeholders before Message does).
    translations = _catalog()
    return message.translate(translations.ugettext, translations.ungettext)


def _catalog():  # type: ignore[no-untyped-def]
    """The request's catalog, looked up once per request: a render asks for ~50 words, and Flask-Babel's own
    lookup walks the app and request contexts every time (about a millisecond a render)."""
    if not has_request_context():
        return get_translations()
    found = g.get("_xero_panel_catalog", _NOT_YET)  # a catalog can be falsy (it has a length): compare by identity
    if found is _NOT_YET:
        found = g._xero_panel_catalog = get_translations()
    return found


_NOT_YET = object()


def translate(message: str) -> str:
    """Python's counterpart of `_()` for text a lower layer marked (or plain text): the current locale's words."""
    if isinstance(message, Message):
        return _translated(message)
    return _catalog().ugettext(message) if message else message


def language() -> str:
    """The catalog the current request's words come from ("de", "pt_BR", "en"); looked up once per request (every
    row's cached HTML is keyed by it)."""
    if not has_request_context():
        return str(flask_babel.get_locale() or DEFAULT)
    found = g.get("_xero_panel_language")
    if found is None:
        found = g._xero_panel_language = str(flask_babel.get_locale() or DEFAULT)
    return found


# Words static/panel.js and static/admin.js say by themselves, handed to them translated in base.html's
# `data-words` (JSON): the scripts fall back to English when a key is missing.
CLIENT_WORDS = {
    "copy_refused": N_("Copying isn't allowed in this frame: the link is selected, press Ctrl+C (⌘C on a Mac) "
                       "to copy it."),
    "copied": N_("Payment link copied."),
    "session_ended": N_("This panel has been open too long and must be reopened. Reload the page to carry on."),
    "went_wrong": N_("Something went wrong showing invoices. Try again, or reload the page."),
    "unreachable": N_("Can't reach the invoice panel. Check your connection and try again."),
    "trying_again": N_("Trying again…"),
    "second": Nn_("%(num)d second", "%(num)d seconds", 1),
    "seconds": Nn_("%(num)d second", "%(num)d seconds", 2),
    "minutes": Nn_("%(num)d minute", "%(num)d minutes", 2),
    "hours": Nn_("about %(num)d hour", "about %(num)d hours", 2),
    "admin_session_ended": N_("Your session on this page has ended. Reopen the Xero settings from the CRM."),
    "admin_went_wrong": N_("Something went wrong. Try again in a moment."),
}


def client_words() -> dict[str, str]:
    """CLIENT_WORDS in the request's language; the duration words keep a %(num)d for the script to fill."""
    words = {}
    for key, message in CLIENT_WORDS.items():
        if message.plural is not None:
            words[key] = get_translations().ungettext(message.msgid, message.plural, message.count or 0)
        else:
            words[key] = flask_babel.gettext(message.msgid)
    return words
