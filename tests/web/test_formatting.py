"""Amounts, dates and times follow the rep's locale and time zone, and each invoice's currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask, render_template_string

from plugin.domain.money import Money
from plugin.web import formatting


@pytest.mark.parametrize(("locale", "amount", "currency", "expected"), [
    ("en-NZ", "1234.50", "NZD", "$1,234.50"),
    ("en-NZ", "1234.50", "USD", "US$1,234.50"),
    ("en-US", "1234.50", "NZD", "NZ$1,234.50"),
    ("de-DE", "1234.50", "EUR", "1.234,50\xa0€"),
    ("ja-JP", "1234", "JPY", "￥1,234"),
    ("en-NZ", "98000", "JPY", "JP¥98,000"),
    ("en-NZ", "-12.00", "NZD", "-$12.00"),
])
def test_amounts_use_the_users_locale_and_the_invoices_currency(locale, amount, currency, expected):
    assert formatting.money(Money(Decimal(amount), currency), locale) == expected


def test_yen_amounts_never_show_decimals():
    assert "." not in formatting.money(Money(Decimal("1500.00"), "JPY"), "en-US")


@pytest.mark.parametrize(("locale", "expected"), [
    ("en-NZ", "1 Mar 2026"), ("en-US", "Mar 1, 2026"), ("de-DE", "01.03.2026"), ("ja-JP", "2026/03/01"),
])
def test_dates_follow_the_locale(locale, expected):
    assert formatting.day(date(2026, 3, 1), locale) == expected


def test_updated_time_is_shown_on_the_users_wall_clock():
    fetched = datetime(2026, 3, 1, 9, 42, tzinfo=UTC)
    assert formatting.clock_time(fetched, "Pacific/Auckland", "en-NZ") == "10:42\u202fpm"
    assert formatting.clock_time(fetched, "Europe/Berlin", "de-DE") == "10:42"


@pytest.mark.parametrize("tag", ["", None, "xx-YY", "not a locale!"])
def test_unknown_locales_fall_back_to_english(tag):
    assert formatting.user_locale(tag).language == "en"


def test_unknown_time_zones_fall_back_to_utc():
    assert formatting.clock_time(datetime(2026, 3, 1, 9, 42, tzinfo=UTC), "Mars/Olympus", "de-DE") == "09:42"


def test_jinja_filters_read_locale_and_timezone_from_the_template_context():
    app = Flask(__name__)
    formatting.init_app(app)
    with app.app_context():
        text = render_template_string(
            "{{ amount|money }} {{ on|day }} {{ at|clock_time }}",
            amount=Money(Decimal("5"), "EUR"), on=date(2026, 3, 1), at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            locale="de-DE", timezone="Europe/Berlin",
        )
    assert text == "5,00\xa0€ 01.03.2026 10:00"


def test_a_short_amount_is_compact_where_the_locale_abbreviates_and_whole_where_it_does_not():
    """The ageing buckets' numbers: under a total that names the currency, so the number alone."""
    from plugin.web.formatting import money_short

    big = Money(Decimal("138543.50"), "NZD")
    assert money_short(big, "en_NZ") == "139K"
    assert money_short(Money(Decimal("2420.18"), "NZD"), "en_NZ") == "2,420"
    # German has no short form for thousands: the rounded number, grouped, not Babel's "138543,5"
    assert money_short(big, "de_DE") == "138.544"
    assert money_short(Money(Decimal("1234567"), "NZD"), "de_DE") == "1\xa0Mio."
