"""The card of issue 13 through Flask's test client: the summary's ageing, rows that say what matters, the parts
htmx swaps (list region, next rows, one row), the active-filter sum, and the quick actions with their guard."""

from __future__ import annotations

import re

import pytest

from plugin.domain import invoices as rules
from plugin.domain.invoices import AgeBucket, View
from plugin.web import formatting
from tests.panel.conftest import contact_record, text_of
from tests.panel.test_views import cached_invoices, rows_of

NOT_THEIRS = "That invoice isn't one of this customer's invoices."
NOT_ONLINE = "Xero has a payment link and PDF only for approved sales invoices."


@pytest.fixture
def invoices(panel, opened, customer, connected):
    return cached_invoices(panel, connected["tenant_id"], customer["contact_id"])


def reps_today(clock):
    """The tests' rep is in Pacific/Auckland."""
    return clock.now().astimezone(formatting.user_timezone("Pacific/Auckland")).date()


def test_the_summary_shows_per_currency_owed_overdue_oldest_and_each_bucket(opened, invoices, clock):
    body = text_of(opened)
    ageing = rules.ageing(invoices, reps_today(clock))
    assert len(ageing) > 1, "this customer owes in several currencies"
    for entry in ageing:
        assert f'data-currency="{entry.currency}"' in body
        assert formatting.money(entry.owed, "en-NZ") in body
        if entry.overdue_count:
            assert f"{entry.overdue_count} invoice{'s' if entry.overdue_count != 1 else ''}, oldest " \
                   f"{entry.oldest_days} day" in body
        for bucket in entry.buckets:
            assert f"{bucket.bucket.label}" in body
    assert body.count('class="owed" data-currency=') == len(ageing)
    assert body.count(" hidden>") >= len(ageing) - 1, "one currency shown at a time"
    assert "Total paid" in body


@pytest.mark.parametrize("bucket", list(AgeBucket))
def test_a_bucket_lists_exactly_its_invoices_and_replaces_only_the_list(panel, invoices, clock, bucket):
    today = reps_today(clock)
    expected = [i.invoice_number for i in rules.newest_first(i for i in invoices
                                                             if rules.in_bucket(i, bucket, today, "NZD"))]
    response = panel.get("/panel/invoices", age=bucket.value, cur="NZD", part="rows")
    body = text_of(response)
    assert rows_of(response) == expected[:25]
    assert not body.lstrip().startswith("<main"), "the list region only"
    assert 'id="summary"' not in body, "the summary stays"
    assert 'id="views" class="views" role="tablist" aria-label="Invoice views" hx-swap-oob="true"' in body
    assert "Covers all invoices" in body
    if expected:
        assert f"{len(expected)} invoice" in body
    assert panel.calls() == 0


def test_a_view_switch_replaces_the_list_region_with_the_tabs_out_of_band(panel, opened):
    response = panel.get("/panel/invoices", view="paid", part="rows")
    body = text_of(response)
    assert not body.lstrip().startswith("<main") and 'id="summary"' not in body
    assert 'id="tab-paid" class="views__tab" aria-selected="true"' in body
    assert '<input type="hidden" name="view" value="paid">' in body
    assert panel.calls() == 0


def test_rows_say_how_late_headline_what_matters_and_explain_credit(panel, invoices, clock):
    today = reps_today(clock)
    body = text_of(panel.get("/panel/invoices", view="unpaid", limit="1000", part="rows"))
    late = next(i for i in invoices if rules.is_overdue(i, today) and i.status.value == "AUTHORISED")
    days = rules.days_overdue(late, today)
    assert f"{days} day{'s' if days != 1 else ''} overdue" in row_html(body, late.invoice_id)
    credited = next(i for i in invoices if i.credits and i.balance.amount > 0)
    html = row_html(body, credited.invoice_id)
    for note in rules.credit_notes(credited):
        assert note.words in html and formatting.money(note.applied, "en-NZ") in html
    assert any(note.number for note in rules.credit_notes(credited) if note.words.startswith("Credit note"))
    paid_body = text_of(panel.get("/panel/invoices", view="paid", limit="1000", part="rows"))
    paid = next(i for i in invoices if i.status.value == "PAID")
    assert f'invoice__headline num invoice__headline--settled">{formatting.money(paid.total, "en-NZ")}<' in \
        row_html(paid_body, paid.invoice_id)


def row_html(body: str, invoice_id: str) -> str:
    return body.split(f'id="row-{invoice_id}"')[1].split("</tr>")[0]


def test_a_filter_says_what_the_list_adds_up_to_per_currency(panel, opened, invoices, clock):
    body = text_of(panel.get("/panel/invoices", view="unpaid", q="INV", part="rows"))
    shown = rules.select(invoices, view=View.UNPAID, today=reps_today(clock), query="INV").rows
    sums = re.search(r'class="rows__sum">(.*?)</span>', body, re.S).group(1)
    assert sums.startswith(f"{len(shown)} invoices")
    for amount in rules.listed_sums(shown):
        assert formatting.money(amount, "en-NZ") in sums
    assert len(rules.listed_sums(shown)) > 1, "one sum per currency, never added together"
    assert 'class="fold-toggle__badge">on<' in body
    assert "Covers all invoices" in body


def test_show_more_sends_only_the_next_rows(panel, emulator, connected, customer):
    for day in range(1, 29):
        emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], date=f"2026-02-{day:02d}",
                                      due_date="2026-12-31")
    panel.open(contact_record(customer))
    first = rows_of(panel.get("/panel/invoices", view="open"))
    more = panel.get("/panel/invoices", view="open", limit="50", offset="25", part="more")
    body = text_of(more)
    assert body.lstrip().startswith('<tbody class="rows__page">')
    assert len(first) == 25 and rows_of(more) and not set(rows_of(more)) & set(first)
    assert '<input type="hidden" name="limit" value="50">' in body


def test_a_pin_sends_back_its_row_and_the_pinned_count(panel, opened, invoices):
    invoice = next(i for i in invoices if i.status.value == "PAID")
    answer = panel.post(f"/panel/pins/{invoice.invoice_id}", pinned="true", view="paid", part="row")
    body = text_of(answer)
    assert body.lstrip().startswith(f'<tr class="invoice invoice--paid" id="row-{invoice.invoice_id}"')
    assert 'aria-pressed="true"' in body
    assert '<span id="count-pinned" class="views__count" hx-swap-oob="true">1</span>' in body
    unpinned = panel.post(f"/panel/pins/{invoice.invoice_id}", pinned="false", view="pinned", part="row")
    assert unpinned.headers["HX-Retarget"] == "#panel"  # it left the Pinned list: the panel is redrawn
    assert panel.calls() == 0


# --- Quick actions -----------------------------------------------------------------------------------------------


def _approved(invoices):
    return next(i for i in invoices if rules.has_online_invoice(i))


def test_the_actions_menu_offers_a_payment_link_and_a_pdf_link_without_asking_xero(panel, invoices):
    invoice = _approved(invoices)
    body = text_of(panel.get(f"/panel/invoices/{invoice.invoice_id}/actions"))
    assert "Copy payment link" in body
    pdf = re.search(r'href="(/panel/pdf/[^"]+)"', body).group(1)
    assert panel.calls() == 0
    answer = panel.client.get(pdf)  # a new tab: no panel session header, the ticket is the key
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.get_data().startswith(b"%PDF") and invoice.invoice_number.encode() in answer.get_data()
    assert f'filename="{invoice.invoice_number}.pdf"' in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert panel.calls() == 1
    assert panel.client.get("/panel/pdf/not-a-ticket").status_code == 404
    assert panel.calls() == 1


def test_the_payment_link_is_asked_of_xero_once_then_cached(panel, invoices, emulator):
    invoice = _approved(invoices)
    first = text_of(panel.get(f"/panel/invoices/{invoice.invoice_id}/payment-link"))
    url = re.search(r'value="([^"]+)" data-copy-link', first).group(1)
    assert url.startswith(f"{emulator.url}/in/")
    assert panel.calls() == 1
    again = text_of(panel.get(f"/panel/invoices/{invoice.invoice_id}/payment-link"))
    assert url in again and panel.calls() == 1


def test_drafts_and_bills_get_no_quick_actions(panel, invoices):
    for invoice in [i for i in invoices if not rules.has_online_invoice(i)][:4]:
        assert NOT_ONLINE in text_of(panel.get(f"/panel/invoices/{invoice.invoice_id}/payment-link"))
        assert "Copy payment link" not in text_of(panel.get(f"/panel/invoices/{invoice.invoice_id}/actions"))
    body = text_of(panel.get("/panel/invoices", view="unpaid", limit="1000"))
    draft = next(i for i in invoices if i.status.value == "DRAFT")
    assert "actions__toggle" not in row_html(body, draft.invoice_id)
    assert panel.calls() == 0


def test_another_customers_invoice_is_refused_before_xero_is_asked(panel, opened, emulator, connected, customer):
    other = emulator.state.customers(connected["tenant_id"])[6]
    theirs = next(i for i in emulator.state.orgs[connected["tenant_id"]].invoices_of(other["contact_id"])
                  if i.type == "ACCREC" and i.status in ("AUTHORISED", "PAID"))
    for path in (f"/panel/invoices/{theirs.invoice_id}/payment-link", f"/panel/invoices/{theirs.invoice_id}/actions"):
        assert NOT_THEIRS in text_of(panel.get(path))
    assert panel.get("/panel/invoices/..%2F..%2FOrganisation/payment-link").status_code == 404
    assert panel.calls() == 0


def test_quick_actions_need_the_panel_session(panel, invoices):
    invoice = _approved(invoices)
    assert panel.client.get(f"/panel/invoices/{invoice.invoice_id}/payment-link").status_code == 401
    assert panel.client.get(f"/panel/invoices/{invoice.invoice_id}/actions").status_code == 401
