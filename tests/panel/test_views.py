"""The panel through Flask's test client, with the emulator as Xero and its call counter as the witness."""

from __future__ import annotations

import re
from html import unescape

import pytest

from plugin.domain import invoices as rules
from plugin.domain.invoices import View
from plugin.services import services
from plugin.storage import get_database
from plugin.web import formatting
from plugin.xero.parse import parse_token_set
from tests.panel.conftest import contact_record, text_of

ROW = re.compile(r'<a class="invoice__number" href="([^"]+)" target="_blank" rel="noopener noreferrer"[^>]*>'
                 r'(?:<span class="invoice__number-text">)?([^<]+)<')


def rows_of(response) -> list[str]:
    return [number for _, number in ROW.findall(response.get_data(as_text=True))]


def links_of(response) -> dict[str, str]:
    return {number: unescape(href) for href, number in ROW.findall(response.get_data(as_text=True))}


def cached_invoices(panel, tenant_id: str, contact_id: str):
    with panel.app.app_context():
        return services().snapshots.get(tenant_id, contact_id).invoices


# --- First load and Xero calls -------------------------------------------------------------------


def test_first_load_finds_the_customer_by_email_and_shows_the_open_view(panel, customer):
    response = panel.open(contact_record(customer))
    body = text_of(response)
    assert response.status_code == 200
    assert customer["name"] in body and "Matched by the contact's email" in body
    assert 'id="tab-open" class="views__tab" aria-selected="true"' in body
    assert panel.session, "the page hands htmx a panel session in hx-headers"
    assert panel.calls() == 2  # one contact search to match the record, one invoice list


def test_a_cold_view_of_a_known_contact_costs_one_xero_call(panel, opened, clock):
    clock.advance(61)  # past CACHE_TTL: shown from the cache at once, then the follow-up (fresh=1) asks Xero
    panel.get("/panel/invoices", view="open", fresh="1")
    assert panel.calls() == 1


@pytest.mark.parametrize(("path", "params"), [
    ("/panel/invoices", {"view": "paid"}),
    ("/panel/invoices", {"view": "overdue"}),
    ("/panel/invoices", {"q": "inv"}),
    ("/panel/invoices", {"start": "2026-01-01", "end": "2026-02-28"}),
    ("/panel/invoices", {"view": "unpaid", "limit": "50"}),
])
def test_switching_views_searching_filtering_and_show_more_never_call_xero(panel, opened, path, params):
    response = panel.get(path, **params)
    assert response.status_code == 200
    assert panel.calls() == 0


def test_pinning_never_calls_xero(panel, opened, customer, connected):
    invoice = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])[0]
    panel.post(f"/panel/pins/{invoice.invoice_id}", view="open")
    assert panel.calls() == 0


def test_refresh_goes_to_xero_even_when_the_cache_is_fresh(panel, opened):
    response = panel.post("/panel/refresh", view="open")
    assert response.status_code == 200
    assert panel.calls() == 1


def test_htmx_gets_the_panel_alone_and_a_plain_request_the_whole_page(panel, opened):
    partial = panel.get("/panel/invoices", view="paid")
    full = panel.get("/panel/invoices", htmx=False, view="paid")
    assert partial.get_data(as_text=True).lstrip().startswith('<main id="panel"')
    assert "<!doctype html>" in full.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"] and "HX-Request" in full.headers["Vary"]


def test_follow_up_requests_need_the_panel_session_header(panel, opened):
    response = panel.client.get("/panel/invoices", headers={"HX-Request": "true"})
    assert response.status_code == 401


def test_framed_routes_carry_the_embedding_headers(opened):
    assert "frame-ancestors" in opened.headers["Content-Security-Policy"]
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert opened.headers["Cache-Control"] == "no-store"
    assert "X-Frame-Options" not in opened.headers


# --- What each view lists ------------------------------------------------------------------------


@pytest.mark.parametrize("view", [View.PAID, View.UNPAID, View.OPEN, View.OVERDUE])
def test_each_view_lists_its_invoices_newest_first(panel, opened, customer, connected, clock, view):
    invoices = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])
    expected = rules.select(invoices, view=view, today=clock.today()).rows
    response = panel.get("/panel/invoices", view=view.value)
    assert rows_of(response) == [invoice.invoice_number for invoice in expected][:25]
    assert f'id="tab-{view.value}" class="views__tab" aria-selected="true"' in response.get_data(as_text=True)


def test_voided_and_deleted_invoices_are_never_listed(panel, opened, customer, connected):
    invoices = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])
    gone = {invoice.invoice_number for invoice in invoices if invoice.status.value in ("VOIDED", "DELETED")}
    assert gone, "the seed gives this customer a voided and a deleted invoice"
    shown = {number for view in View for number in rows_of(panel.get("/panel/invoices", view=view.value))}
    assert not gone & shown


def test_totals_are_shown_per_currency_in_the_users_locale(panel, opened, customer, connected):
    invoices = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])
    body = text_of(panel.get("/panel/invoices"))
    totals = rules.totals(invoices)
    assert len(totals) > 1, "this customer has invoices in several currencies"
    for entry in totals:
        if not entry.unpaid.is_zero:
            assert formatting.money(entry.unpaid, "en-NZ") in body
        if not entry.paid.is_zero:
            assert formatting.money(entry.paid, "en-NZ") in body
    assert "Credit applied" in body


def test_each_ageing_bucket_lists_its_invoices_in_the_list_region(panel, opened):
    body = text_of(opened)
    assert '{"age": "31-60", "cur": "NZD", "limit": "", "part": "rows"}' in body and 'hx-target="#rows"' in body


def test_amounts_and_dates_follow_the_users_locale(panel, customer):
    body = text_of(panel.open(contact_record(customer), locale="de-DE", tz="Europe/Berlin"))
    assert re.search(r"\d\.\d{3},\d{2}\xa0", body), "German grouping and decimal comma"
    assert re.search(r"\d{2}\.\d{2}\.\d{4}", body), "German dates"
    assert '<html lang="de-DE">' in body


def test_search_finds_part_of_a_number_in_any_case(panel, opened, customer, connected):
    number = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])[0].invoice_number
    fragment = number[-3:].lower()
    shown = rows_of(panel.get("/panel/invoices", view="unpaid", q=fragment)) + rows_of(
        panel.get("/panel/invoices", view="paid", q=fragment))
    assert number in shown
    assert all(fragment in row.lower() for row in shown)


def test_date_filter_is_inclusive_and_an_end_before_the_start_says_so(panel, opened, customer, connected):
    invoices = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])
    day = invoices[0].date.isoformat()
    same_day = rows_of(panel.get("/panel/invoices", view="unpaid", start=day, end=day))
    assert same_day and all(
        invoice.date.isoformat() == day for invoice in invoices if invoice.invoice_number in same_day)
    backwards = text_of(panel.get("/panel/invoices", view="unpaid", start="2026-03-01", end="2026-01-01"))
    assert "The end date is before the start date" in backwards


def test_show_more_adds_the_next_25_rows(panel, emulator, connected, customer):
    for day in range(1, 31):
        emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], date=f"2026-01-{day:02d}",
                                      due_date="2026-12-31")
    panel.open(contact_record(customer))
    first = panel.get("/panel/invoices", view="open")
    assert len(rows_of(first)) == 25 and "Show more" in text_of(first)
    more = panel.get("/panel/invoices", view="open", limit="50")
    assert len(rows_of(more)) > 25
    assert rows_of(more)[:25] == rows_of(first)


# --- Payments, links, pins --------------------------------------------------------------------------


def test_payments_popover_lists_each_instalment(panel, opened, customer, connected):
    invoices = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])
    paid_in_parts = next(invoice for invoice in invoices if len(invoice.payments) >= 2)
    body = text_of(panel.get("/panel/invoices", view="unpaid"))
    popover = body.split(f'id="payments-{paid_in_parts.invoice_id}"')[1].split("</span>\n</span>")[0]
    for item in rules.instalments(paid_in_parts):
        assert f"{item.number} of {item.of}" in popover
        assert formatting.day(item.date, "en-NZ") in popover
        assert formatting.money(item.amount, "en-NZ") in popover
        assert (item.reference or "No reference") in popover
    assert f'aria-describedby="payments-{paid_in_parts.invoice_id}"' in body
    assert f"{len(paid_in_parts.payments)} payments" in body


def test_invoice_numbers_open_the_invoice_in_its_organisation_in_a_new_tab(
    panel, opened, emulator, connected, customer
):
    ids = {invoice.invoice_number: invoice.invoice_id
           for invoice in cached_invoices(panel, connected["tenant_id"], customer["contact_id"])}
    links = links_of(panel.get("/panel/invoices", view="unpaid"))
    assert links
    for number, href in links.items():  # the redirect target is one URL-encoded query value
        assert href == (f"{emulator.url}/go/organisationlogin/default.aspx?shortcode={connected['short_code']}"
                        f"&redirecturl=/AccountsReceivable/View.aspx%3FInvoiceID%3D{ids[number]}")


def test_bills_link_to_the_payables_screen(panel, emulator, connected, customer):
    emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], type="ACCPAY", number="BILL-77")
    panel.open(contact_record(customer))
    links = links_of(panel.get("/panel/invoices", view="open"))
    assert "/AccountsPayable/View.aspx%3FInvoiceID%3D" in links["BILL-77"]


def test_pins_toggle_and_last_across_visits(panel, opened, customer, connected):
    invoice = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])[0]
    pinned = text_of(panel.post(f"/panel/pins/{invoice.invoice_id}", view="pinned"))
    assert 'aria-pressed="true"' in pinned
    again = panel.open(contact_record(customer))  # a later visit: new context, new session
    assert rows_of(panel.get("/panel/invoices", view="pinned")) == [invoice.invoice_number]
    assert 'id="tab-pinned"' in text_of(again)
    panel.post(f"/panel/pins/{invoice.invoice_id}", view="pinned")
    assert rows_of(panel.get("/panel/invoices", view="pinned")) == []


def test_pins_belong_to_the_record_they_were_made_on(panel, customer, connected):
    panel.open(contact_record(customer))
    invoice = cached_invoices(panel, connected["tenant_id"], customer["contact_id"])[0]
    panel.post(f"/panel/pins/{invoice.invoice_id}")
    deal = {"type": "deal", "id": "d-1", "name": "Renewal", "contact": {"id": "c-x", "name": customer["name"],
                                                                        "email": customer["email"]}}
    panel.open(deal)
    assert rows_of(panel.get("/panel/invoices", view="pinned")) == []


def test_the_last_chosen_view_is_remembered_for_the_user(panel, opened, customer):
    panel.get("/panel/invoices", view="overdue")
    body = text_of(panel.open(contact_record(customer)))
    assert 'id="tab-overdue" class="views__tab" aria-selected="true"' in body


# --- Matching ---------------------------------------------------------------------------------------


def test_email_match_ignores_case(panel, customer):
    body = text_of(panel.open(contact_record(customer, email=customer["email"].upper())))
    assert "Matched by the contact's email" in body


def test_an_account_matches_by_company_name_trimmed_and_in_any_case(panel, customer):
    record = {"type": "account", "id": "a-1", "name": f"  {customer['name'].upper()} ", "company": ""}
    body = text_of(panel.open(record))
    assert "Matched by the account's name" in body


def test_a_deal_uses_its_contact(panel, customer):
    deal = {"type": "deal", "id": "d-9", "name": "Big deal",
            "contact": {"id": "c-9", "name": customer["name"], "email": customer["email"]}}
    body = text_of(panel.open(deal))
    assert "Matched by the contact's email" in body and customer["name"] in body


def test_no_match_says_what_was_tried_then_a_manual_link_sticks(panel, customer, connected):
    record = {"type": "contact", "id": "c-404", "name": "Nobody", "email": "nobody@nowhere.example"}
    body = text_of(panel.open(record))
    assert "couldn't tell which Xero customer" in body
    assert "No Xero customer has the email “nobody@nowhere.example”" in body
    found = text_of(panel.get("/panel/contacts", contact_q=customer["name"][:6]))
    assert customer["contact_id"] in found
    linked = text_of(panel.post("/panel/link", contact_id=customer["contact_id"]))
    assert "Linked by hand" in linked and customer["name"] in linked
    assert "Linked by hand" in text_of(panel.open(record))
    unlinked = text_of(panel.post("/panel/unlink"))
    assert "couldn't tell which Xero customer" in unlinked


# --- States ----------------------------------------------------------------------------------------


def test_without_a_connection_the_panel_says_xero_is_not_set_up(panel, emulator, customer):
    body = text_of(panel.open(contact_record(customer), account="acct-unconnected"))
    assert "Xero isn't set up yet" in body and "ask an admin" not in body
    assert panel.calls() == 0


def test_a_connection_not_saved_yet_is_not_set_up_for_reps(panel, emulator, tenant, customer, clock):
    connections = get_database(panel.app).connections
    connections.store_consent("acct-1", parse_token_set(emulator.state.issue_token_set(), clock.now()),
                              connected_by_email="demo@example.com")
    connections.choose_tenant("acct-1", tenant["tenant_id"], tenant_name=tenant["name"])  # chosen, not saved
    body = text_of(panel.open(contact_record(customer)))
    assert "Xero isn't set up yet" in body and "ask an admin" not in body
    assert not rows_of_text(body)


def test_after_an_admin_removes_xero_reps_are_told_to_ask_an_admin(panel, customer):
    get_database(panel.app).connections.remove("acct-1")
    body = text_of(panel.open(contact_record(customer)))
    assert "Xero isn't connected; ask an admin" in body and "set up yet" not in body
    assert not rows_of_text(body) and "Refresh" not in body
    assert panel.calls() == 0


@pytest.mark.parametrize(("role", "reconnect_button"), [("admin", True), ("member", False)])
def test_a_revoked_connection_asks_for_a_reconnect_and_admins_get_the_button(panel, customer, role, reconnect_button):
    get_database(panel.app).connections.mark_needs_reconnect("acct-1", "revoked in Xero")
    body = text_of(panel.open(contact_record(customer), role=role))
    assert "The Xero connection needs to be renewed" in body
    assert ("Reconnect Xero" in body) is reconnect_button
    assert ("admin.js" in body) is reconnect_button  # the sign-in window is opened the settings page's way
    assert 'href="/admin"' not in body  # /admin needs a CRM context: a plain link to it can only fail


def test_an_admins_reconnect_in_the_panel_gets_a_sign_in_link_and_then_refreshes_the_panel(panel, customer):
    get_database(panel.app).connections.mark_needs_reconnect("acct-1", "revoked in Xero")
    body = text_of(panel.open(contact_record(customer), role="admin"))
    button = re.search(r'<button[^>]*data-opens-sign-in[^>]*>\s*Reconnect Xero', body).group(0)
    ticket_url = re.search(r'hx-post="([^"]+)"', button).group(1)
    assert ticket_url == "/admin/connect/ticket?surface=panel"

    waiting = panel.post(ticket_url)  # the panel's own session header, no CRM context
    assert waiting.status_code == 200
    sign_in = re.search(r'data-sign-in-url="([^"]+)"', text_of(waiting)).group(1)
    assert sign_in.startswith("/admin/connect/start?ticket=")
    refresh = re.search(r'<button[^>]*hx-get="/panel/invoices"[^>]*>', text_of(waiting)).group(0)
    assert 'hx-trigger="click, xero-sign-in-finished from:body"' in refresh and 'hx-target="#panel"' in refresh
    question = panel.client.get(sign_in)  # the window first asks, naming the CRM account it connects
    assert question.status_code == 200 and '<strong data-field="crm-account">acct-1</strong>' in text_of(question)
    ticket = re.search(r'name="ticket" value="([^"]+)"', text_of(question)).group(1)
    started = panel.client.post("/admin/connect/start", data={"ticket": ticket})
    assert started.status_code == 303 and started.location.startswith(panel.emulator.url)


def test_a_members_panel_session_cannot_get_a_connect_ticket(panel, customer):
    get_database(panel.app).connections.mark_needs_reconnect("acct-1", "revoked in Xero")
    panel.open(contact_record(customer), role="member")
    assert panel.post("/admin/connect/ticket?surface=panel").status_code == 403


def test_rate_limited_refresh_keeps_the_last_data_marked_with_its_time(panel, opened, emulator, connected):
    emulator.state.exhaust_limit(connected["tenant_id"], "minute")
    body = text_of(panel.post("/panel/refresh", view="unpaid"))
    assert re.search(r"Xero is busy\. Try again in \d+ seconds\.", body)
    assert "Last updated" in body and "Showing what Xero sent at" in body
    assert rows_of_text(body), "the last fetched rows are still shown"


def test_rate_limited_on_a_cold_view_says_so_without_data(panel, emulator, connected, customer):
    panel.open(contact_record(customer))
    emulator.state.exhaust_limit(connected["tenant_id"], "minute")
    other = emulator.state.customers(connected["tenant_id"])[5]
    body = text_of(panel.open(contact_record(other)))
    assert "Xero is busy" in body and not rows_of_text(body)


def test_xero_unavailable_keeps_the_last_data(panel, opened, emulator):
    emulator.state.fail_next(5, "503")
    body = text_of(panel.post("/panel/refresh", view="unpaid"))
    assert "Xero isn't answering right now" in body
    assert rows_of_text(body)


def test_the_admin_cache_hit_rate_counts_the_panels_lookups(panel, opened, connected):
    panel.get("/panel/invoices", view="paid")
    panel.get("/panel/invoices", view="unpaid")
    with panel.app.app_context():
        stats = services().lookups.stats(connected["tenant_id"])
    assert (stats.hits, stats.misses) == (2, 1)  # the cold first load, then two view switches


def test_an_idle_panel_pings_its_session_and_gets_it_renewed_without_calling_xero(panel, opened, clock):
    assert re.search(r'hx-get="/panel/session" hx-trigger="every 4m"\s+hx-swap="none"', opened.get_data(as_text=True))
    clock.advance(4 * 60)
    early = panel.get("/panel/session")
    assert early.status_code == 204 and "X-Panel-Session-Renewed" not in early.headers
    clock.advance(8 * 60)
    due = panel.get("/panel/session")
    assert due.status_code == 204 and due.headers["X-Panel-Session-Renewed"]
    assert panel.calls() == 0


def rows_of_text(body: str) -> list[str]:
    return [number for _, number in ROW.findall(body)]
