"""XeroClient against the emulator over real HTTP: paging, reading, and every limit and failure as a client error."""

from __future__ import annotations

import math
import uuid

import pytest
import requests

from plugin.domain.clock import FixedClock
from plugin.domain.models import InvoiceStatus
from plugin.xero.client import XeroClient
from plugin.xero.endpoints import XeroEndpoints
from plugin.xero.errors import (
    ConnectionRevoked,
    MissingScope,
    NotFound,
    QueryRejected,
    RateLimited,
    XeroUnavailable,
)
from tests.xero.emulated import MemoryTokens, make_oauth


@pytest.fixture
def tenant(emulator) -> str:
    return emulator.state.tenants[0]["tenant_id"]


@pytest.fixture
def tokens(emulator) -> MemoryTokens:
    oauth = make_oauth(emulator)
    return MemoryTokens(oauth, oauth.refresh(emulator.state.issue_token_set()["refresh_token"]))


@pytest.fixture
def sleeps() -> FixedClock:
    """The client's clock: its sleeps are recorded, not waited."""
    return FixedClock.at("2026-03-01T09:00:00+00:00")


@pytest.fixture
def recorded() -> list[requests.PreparedRequest]:
    return []


@pytest.fixture
def make_client(emulator, tenant, tokens, sleeps, recorded):
    def make(**options) -> XeroClient:
        session = requests.Session()
        session.hooks["response"].append(lambda response, **_: recorded.append(response.request))
        settings = {
            "endpoints": XeroEndpoints.emulator(emulator.url),
            "tenant_id": tenant,
            "tokens": tokens,
            "session": session,
            "clock": sleeps,
            "jitter": lambda s: s,
            "timeout": 5.0,
        }
        return XeroClient(**{**settings, **options})

    return make


def busiest_contact(emulator, tenant) -> tuple[str, int]:
    data = emulator.state.orgs[tenant]
    contact_id, invoices = max(data.by_contact.items(), key=lambda item: len(item[1]))
    return contact_id, len(invoices)


def test_invoices_of_a_big_contact_come_across_pages(emulator, tenant, make_client):
    contact_id, count = busiest_contact(emulator, tenant)
    assert count > 250
    emulator.state.reset_call_counts()
    found = list(make_client().invoices(contact_ids=[contact_id], page_size=100))
    assert len(found) == count
    assert len({i.invoice_id for i in found}) == count
    assert {i.contact_id for i in found} == {contact_id}
    assert [i.date for i in found] == sorted((i.date for i in found), reverse=True)  # "Date DESC" by default
    assert emulator.state.api_calls(tenant) == math.ceil(count / 100)


def test_listing_is_lazy_over_http(emulator, tenant, make_client):
    contact_id, _ = busiest_contact(emulator, tenant)
    emulator.state.reset_call_counts()
    listing = make_client().invoices(contact_ids=[contact_id], page_size=50)
    first_ten = [next(listing) for _ in range(10)]
    assert len(first_ten) == 10
    assert emulator.state.api_calls(tenant) == 1


def test_invoice_page_reports_xeros_pagination(emulator, tenant, make_client):
    contact_id, count = busiest_contact(emulator, tenant)
    page = make_client().invoice_page(2, contact_ids=[contact_id], page_size=100)
    assert (page.page, page.item_count, page.page_count) == (2, count, math.ceil(count / 100))
    assert len(page.invoices) == 100


def test_organisation_contacts_and_single_reads(emulator, tenant, make_client):
    client = make_client()
    org = client.organisation()
    expected = emulator.state.tenants[0]
    assert (org.name, org.short_code, org.base_currency) == (
        expected["name"],
        expected["short_code"],
        expected["base_currency"],
    )
    customer = emulator.state.customers(tenant)[0]
    [match] = [c for c in client.contacts(search_term=customer["email"]) if c.contact_id == customer["contact_id"]]
    assert client.contact(match.contact_id) == match
    invoice = next(
        client.invoices(contact_ids=[match.contact_id], statuses=[InvoiceStatus.AUTHORISED, InvoiceStatus.PAID])
    )
    assert client.invoice(invoice.invoice_number) == client.invoice(invoice.invoice_id)


def test_payments_name_their_invoice(make_client):
    payment = next(make_client().payments(page_size=10))
    assert payment.invoice_id and payment.amount.amount > 0


def test_unknown_invoice_is_not_found(make_client):
    with pytest.raises(NotFound):
        make_client().invoice(str(uuid.uuid4()))


def test_unparseable_where_is_query_rejected(make_client):
    with pytest.raises(QueryRejected):
        next(make_client().invoices(where='Status=="AUTHORISED" &&& nonsense('))


@pytest.mark.parametrize("kind", ["500", "503", "malformed"])
def test_passing_failures_are_retried_away(emulator, make_client, sleeps, kind):
    emulator.state.fail_next(2, kind)
    assert make_client().organisation().name
    assert sleeps.slept == [0.25, 0.5]


@pytest.mark.parametrize(
    ("kind", "error"), [("503", XeroUnavailable), ("malformed", XeroUnavailable), ("notfound", NotFound)]
)
def test_lasting_failures_become_client_errors(emulator, make_client, kind, error):
    emulator.state.fail_next(3, kind)
    with pytest.raises(error):
        make_client().organisation()


def test_a_time_out_is_retried(emulator, make_client, sleeps):
    emulator.state.fail_next(1, "timeout")
    assert make_client(timeout=0.3).organisation().name
    assert sleeps.slept == [0.25]


def test_time_outs_end_as_unavailable(emulator, make_client):
    emulator.state.fail_next(2, "timeout")
    with pytest.raises(XeroUnavailable):
        make_client(timeout=0.3, max_retries=1).organisation()


def test_minute_limit_is_raised_without_sleeping_past_the_cap(emulator, tenant, make_client, sleeps):
    emulator.state.exhaust_limit(tenant, "minute")
    with pytest.raises(RateLimited) as raised:
        make_client(max_wait=2.0).organisation()
    assert raised.value.problem == "minute" and raised.value.retry_after > 2
    assert sleeps.slept == []


def test_daily_limit_is_raised_at_once(emulator, tenant, make_client, sleeps):
    emulator.state.exhaust_limit(tenant, "day")
    with pytest.raises(RateLimited) as raised:
        make_client().organisation()
    assert raised.value.problem == "day"
    assert sleeps.slept == []


def test_concurrent_limit_waits_within_the_cap_then_raises(emulator, tenant, make_client, sleeps):
    emulator.state.exhaust_limit(tenant, "concurrent")
    with pytest.raises(RateLimited) as raised:
        make_client(max_wait=2.0).organisation()
    assert raised.value.problem == "concurrent"
    assert sum(sleeps.slept) <= 2.0


def test_limits_are_reported_after_every_answer(make_client):
    seen = []
    client = make_client(on_limits=seen.append)
    client.organisation()
    client.organisation()
    assert seen[0].minute_remaining - seen[1].minute_remaining == 1
    assert client.last_limits.day_remaining is not None and client.last_limits.app_minute_remaining is not None


def test_expired_access_token_is_refreshed_once(emulator, make_client, tokens):
    emulator.state.clock.advance(minutes=31)
    assert make_client().organisation().name
    assert tokens.refreshes == 1


def test_missing_scope(emulator, tenant, make_client):
    oauth = make_oauth(emulator)
    narrow = emulator.state.issue_token_set(scopes="openid offline_access accounting.contacts.read")
    client = make_client(tokens=MemoryTokens(oauth, oauth.refresh(narrow["refresh_token"])))
    assert next(client.contacts()).name
    with pytest.raises(MissingScope):
        next(client.invoices())


def test_foreign_tenant_is_connection_revoked(make_client):
    with pytest.raises(ConnectionRevoked):
        make_client(tenant_id=str(uuid.uuid4())).organisation()


def test_the_client_only_ever_gets(emulator, tenant, make_client, recorded):
    client = make_client()
    contact_id, _ = busiest_contact(emulator, tenant)
    client.organisation()
    list(client.contacts(page_size=20))
    list(client.invoices(contact_ids=[contact_id]))
    next(client.payments())
    invoice = client.invoice_page(1).invoices[0]
    client.invoice(invoice.invoice_id)
    client.contact(invoice.contact_id)
    assert len(recorded) > 5
    assert {r.method for r in recorded} == {"GET"}
    assert all(r.url.startswith(f"{emulator.url}/api.xro/2.0/") for r in recorded)
