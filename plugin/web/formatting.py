"""Amounts, dates and times in the rep's locale and time zone, through Babel only.

Each amount is formatted in its own currency (JPY has no minor unit, so Babel prints no decimals).
Templates reach these through Jinja filters that read `locale` and `timezone` from the template
context, so a view passes the user's settings once and every filter follows them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_compact_decimal, format_currency, format_decimal
from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context

from plugin.domain.money import Money
from plugin.domain.text import clean_text

DEFAULT_LOCALE = "en"
DEFAULT_TIMEZONE = "UTC"


@lru_cache(maxsize=64)
def user_locale(tag: str | None) -> Locale:
    """The Babel locale for a tag such as "en-NZ" or "de_DE"; unknown or empty tags fall back to English."""
    text = (tag or "").strip().replace("-", "_")
    try:
        return Locale.parse(text) if text else Locale.parse(DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


@lru_cache(maxsize=64)
def user_timezone(name: str | None) -> ZoneInfo:
    """The IANA zone the CRM reported for the user; an unknown name falls back to UTC."""
    try:
        return ZoneInfo((name or "").strip() or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def money(amount: Money, locale: str | Locale | None = None) -> str:
    """e.g. "$1,234.50" for NZD in en-NZ, "1.234,50 €" in de-DE, "￥1,235" for JPY in ja-JP."""
    value = amount.amount
    # The sign travels apart: -0.00 equals 0 as a Decimal (same cache slot) but Babel prints it "-$0.00".
    return _formatted_money(value, value.is_signed(), amount.currency, _locale(locale))


def money_short(amount: Money, locale: str | Locale | None = None) -> str:
    """An amount for a small space (the ageing buckets, under a total that names the currency): the number alone,
    rounded to whole units, "9,346" or "9.346"; from 10,000 up in the locale's compact form where it has one,
    "12.3K", "139K", "1M". The full amount, with its currency, is always given beside it for screen readers and
    in the title."""
    return _formatted_short(amount.amount, _locale(locale))


@lru_cache(maxsize=4_096)
def _formatted_short(value: Decimal, locale: Locale) -> str:
    whole = format_decimal(value.quantize(Decimal(1)), format="#,##0", locale=locale)
    if abs(value) >= 10_000:
        digits = 1 if abs(value) < 100_000 else 0
        compact = format_compact_decimal(value, locale=locale, fraction_digits=digits)
        # Some locales have no short form for thousands (German's is the plain number, ungrouped): there the
        # rounded whole number is the shorter, clearer one.
        if len(compact) < len(whole):
            return compact
    return whole


def day(value: date | None, locale: str | Locale | None = None, length: str = "medium") -> str:
    """A calendar date such as "1 Mar 2026" (en-NZ) or "01.03.2026" (de-DE); "" for no date."""
    if value is None:
        return ""
    return _formatted_day(value, length, _locale(locale))


# Babel parses its patterns and walks locale data on every call (~50 µs an amount, ~100 µs a date), and a
# panel prints hundreds of them; the same amounts and dates come back render after render, so each distinct
# one is formatted once per process. Bounded, so a long-lived worker's memory stays flat.
@lru_cache(maxsize=16_384)
def _formatted_money(value: Decimal, _signed: bool, currency: str, locale: Locale) -> str:
    return format_currency(value, currency, locale=locale)


@lru_cache(maxsize=8_192)
def _formatted_day(value: date, length: str, locale: Locale) -> str:
    return format_date(value, format=length, locale=locale)


def clock_time(instant: datetime, timezone: str | None = None, locale: str | Locale | None = None) -> str:
    """The time of an instant on the user's wall clock, e.g. "10:42 pm" in Pacific/Auckland."""
    return _formatted_time(instant, user_timezone(timezone), _locale(locale))


@lru_cache(maxsize=4_096)  # every render prints its snapshot's fetch time: one per snapshot, zone and locale
def _formatted_time(instant: datetime, zone: ZoneInfo, locale: Locale) -> str:
    return format_time(instant, format="short", tzinfo=zone, locale=locale)


def _locale(value: str | Locale | None) -> Locale:
    return value if isinstance(value, Locale) else user_locale(value)


@pass_context
def _money_filter(context: Context, amount: Money) -> str:
    return money(amount, context.get("locale"))


@pass_context
def _money_short_filter(context: Context, amount: Money) -> str:
    return money_short(amount, context.get("locale"))


@pass_context
def _date_filter(context: Context, value: date | None, length: str = "medium") -> str:
    return day(value, context.get("locale"), length)


@pass_context
def _time_filter(context: Context, instant: datetime) -> str:
    return clock_time(instant, context.get("timezone"), context.get("locale"))


def _printable(value: object) -> object:
    """Every `{{ ... }}` a template prints passes here (Jinja's finalize): plain text, which is where Xero's (and
    the CRM's) text ends up, loses any bidi control characters (plugin.domain.text.clean_text), so no value can
    disguise itself or what is printed after it. Markup (already rendered HTML, e.g. a cached row) is left as it is:
    its text was cleaned when it was rendered."""
    return clean_text(value) if type(value) is str else value


def init_app(app: Flask) -> None:
    """Register the `money`, `money_short`, `day` and `clock_time` filters (templates set `locale` and `timezone`),
    and strip bidi controls from everything printed."""
    app.jinja_env.finalize = _printable
    app.jinja_env.filters["money"] = _money_filter
    app.jinja_env.filters["money_short"] = _money_short_filter
    app.jinja_env.filters["day"] = _date_filter
    app.jinja_env.filters["clock_time"] = _time_filter
