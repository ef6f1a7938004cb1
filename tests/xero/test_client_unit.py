"""XeroClient against a scripted transport: headers, paging, retries, limits and error mapping."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, date, datetime

import pytest
import requests

from plugin.domain.clock import FixedClock
from plugin.domain.models import RateLimitStatus
from plugin.xero.client import XeroClient
from plugin.xero.errors import (
    BadXeroData,
    ConnectionRevoked,
    MissingScope,
    NotFound,
    QueryRejected,
    RateLimited,
    TokenExpired,
    XeroUnavailable,
    correlation_note,
    log_extra,
)
from tests.xero.conftest import invoice_json
from tests.xero.fakes import ENDPOINTS, ScriptedXero, StaticTokens, answer, problem

TENANT = "tenant-1"


def invoices_body(count: int, start: int = 0, **envelope):
    return {"Invoices": [invoice_json(InvoiceID=f"inv-{start + i}") for i in range(count)], **envelope}


@pytest.fixture
def xero() -> ScriptedXero:
    return ScriptedXero()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.at("2026-03-01T09:00:00+00:00")


@pytest.fixture
def tokens() -> StaticTokens:
    return StaticTokens()


@pytest.fixture
def make_client(xero, clock, tokens):
    def make(**options) -> XeroClient:
        settings = {"endpoints": ENDPOINTS, "tenant_id": TENANT, "tokens": tokens, "session": xero.session()}
        settings.update(clock=clock, jitter=lambda s: s, timeout=3.5)
        return XeroClient(**{**settings, **options})

    return make


def test_every_call_sends_accept_tenant_bearer_and_a_timeout(xero, make_client):
    xero.answers = [
        answer(body={"Organisations": [{"OrganisationID": "o", "Name": "n", "ShortCode": "!a", "BaseCurrency": "NZD"}]})
    ]
    make_client().organisation()
    sent = xero.requests[0]
    assert sent.method == "GET"
    assert sent.url == "http://xero.test/api.xro/2.0/Organisation"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["xero-tenant-id"] == TENANT
    assert sent.headers["Authorization"] == "Bearer token-1"
    assert xero.timeouts == [3.5]


def test_paging_walks_pages_until_a_short_one(xero, make_client):
    xero.answers = [answer(body=invoices_body(2)), answer(body=invoices_body(2, 2)), answer(body=invoices_body(1, 4))]
    found = list(make_client().invoices(contact_ids=["c1", "c2"], statuses=["AUTHORISED", "PAID"], page_size=2))
    assert [i.invoice_id for i in found] == [f"inv-{n}" for n in range(5)]
    assert [xero.query(n)["page"] for n in range(3)] == ["1", "2", "3"]
    assert xero.query(0) == {
        "ContactIDs": "c1,c2",
        "Statuses": "AUTHORISED,PAID",
        "order": "Date DESC",
        "page": "1",
        "pageSize": "2",
    }


def test_paging_stops_on_an_empty_page(xero, make_client):
    xero.answers = [answer(body=invoices_body(2)), answer(body={"Invoices": []})]
    assert len(list(make_client().invoices(page_size=2))) == 2
    assert len(xero.requests) == 2


def test_paging_trusts_pagination_when_the_last_page_is_full(xero, make_client):
    pagination = {"page": 1, "pageSize": 2, "pageCount": 1, "itemCount": 2}
    xero.answers = [answer(body=invoices_body(2, pagination=pagination))]
    assert len(list(make_client().invoices(page_size=2))) == 2
    assert len(xero.requests) == 1


def test_paging_is_lazy(xero, make_client):
    xero.answers = [answer(body=invoices_body(2)), answer(body=invoices_body(2, 2))]
    listing = make_client().invoices(page_size=2)
    assert xero.requests == []
    next(listing)
    next(listing)
    assert len(xero.requests) == 1


def test_if_modified_since_is_sent_as_utc(xero, make_client):
    xero.answers = [answer(body={"Invoices": []})]
    list(make_client().invoices(if_modified_since=datetime(2026, 2, 1, 13, 0, tzinfo=UTC)))
    assert xero.requests[0].headers["If-Modified-Since"] == "2026-02-01T13:00:00"
    xero.answers = [answer(body={"Payments": []})]
    list(make_client().payments(if_modified_since=date(2026, 2, 1)))
    assert xero.requests[1].headers["If-Modified-Since"] == "2026-02-01T00:00:00"


def test_server_errors_are_retried_with_capped_backoff(xero, make_client, clock):
    xero.answers = [answer(503, text="busy"), answer(500, text="oops"), answer(body=invoices_body(1))]
    assert len(list(make_client().invoices())) == 1
    assert clock.slept == [0.25, 0.5]


@pytest.mark.parametrize("failure", [requests.ConnectionError("reset"), requests.Timeout("slow")])
def test_connection_errors_and_timeouts_are_retried(xero, make_client, clock, failure):
    xero.answers = [failure, answer(body=invoices_body(1))]
    assert len(list(make_client().invoices())) == 1
    assert clock.slept == [0.25]


def test_retries_give_up_as_xero_unavailable(xero, make_client, clock):
    xero.answers = [requests.Timeout("slow")] * 3
    with pytest.raises(XeroUnavailable):
        make_client().organisation()
    assert len(xero.requests) == 3
    assert clock.slept == [0.25, 0.5]


def test_total_wait_never_exceeds_max_wait(xero, make_client, clock):
    xero.answers = [answer(503, text="")] * 5
    with pytest.raises(XeroUnavailable):
        make_client(max_retries=4, max_wait=0.6).organisation()
    assert sum(clock.slept) <= 0.6


def test_not_implemented_is_not_retried(xero, make_client):
    xero.answers = [answer(501, text="no")]
    with pytest.raises(XeroUnavailable):
        make_client().organisation()
    assert len(xero.requests) == 1


def test_malformed_json_is_unavailable_after_retries(xero, make_client):
    xero.answers = [answer(text='{"Invoices": [')] * 3
    with pytest.raises(XeroUnavailable):
        list(make_client().invoices())
    assert len(xero.requests) == 3


def test_malformed_json_once_then_good_answer(xero, make_client):
    xero.answers = [answer(text="<html>proxy</html>"), answer(body=invoices_body(1))]
    assert len(list(make_client().invoices())) == 1


def test_well_formed_json_with_a_bad_field_is_bad_data_not_retried(xero, make_client):
    xero.answers = [answer(body={"Invoices": [invoice_json(CurrencyCode="XYZ")]})]
    with pytest.raises(BadXeroData):
        list(make_client().invoices())
    assert len(xero.requests) == 1


@pytest.mark.parametrize(
    "read",
    [lambda client: client.invoice("inv-bad"), lambda client: client.invoice_page(1)],
    ids=["invoice", "invoice_page"],
)
def test_one_invoice_or_page_with_a_bad_field_is_bad_data_naming_it_not_retried(xero, make_client, read):
    bad = invoice_json(InvoiceID="inv-bad", Payments=[{"PaymentID": "p1", "Date": "/Date(0)/", "Amount": "lots"}])
    xero.answers = [answer(body={"Invoices": [bad]})]
    with pytest.raises(BadXeroData) as raised:
        read(make_client())
    assert (raised.value.field, raised.value.value) == ("Payments[].Amount", "lots")
    assert len(xero.requests) == 1


def test_an_invoice_page_keeps_xeros_pagination(xero, make_client):
    pagination = {"page": 3, "pageSize": 2, "pageCount": 4, "itemCount": 8}
    xero.answers = [answer(body=invoices_body(2, pagination=pagination))]
    page = make_client().invoice_page(3, page_size=2)
    assert [invoice.invoice_id for invoice in page.invoices] == ["inv-0", "inv-1"]
    assert (page.page, page.page_size, page.page_count, page.item_count) == (3, 2, 4, 8)


def test_on_unreadable_skips_a_bad_invoice_and_hands_it_over_with_the_field(xero, make_client):
    bad = invoice_json(InvoiceID="inv-bad", InvoiceNumber="INV-0042", CurrencyCode="XYZ")
    xero.answers = [answer(body={"Invoices": [invoice_json(InvoiceID="inv-1"), bad, invoice_json(InvoiceID="inv-2")]})]
    unreadable = []
    invoices = list(make_client().invoices(on_unreadable=lambda raw, error: unreadable.append((raw, error))))
    assert [invoice.invoice_id for invoice in invoices] == ["inv-1", "inv-2"]
    [(raw, error)] = unreadable
    assert raw["InvoiceNumber"] == "INV-0042"
    assert (error.field, error.value) == ("CurrencyCode", "XYZ")


def test_on_unreadable_still_pages_on_the_raw_item_count(xero, make_client):
    """A page of 2 with one unreadable invoice is still a full page, so the next page is asked for."""
    first = {"Invoices": [invoice_json(InvoiceID="inv-0"), invoice_json(InvoiceID="inv-bad", Total=None)]}
    xero.answers = [answer(body=first), answer(body=invoices_body(1, start=2))]
    unreadable = []
    invoices = list(make_client().invoices(page_size=2, on_unreadable=lambda raw, error: unreadable.append(error)))
    assert [invoice.invoice_id for invoice in invoices] == ["inv-0", "inv-2"]
    assert [(error.field, error.reason) for error in unreadable] == [("Total", "missing")]


def test_on_unreadable_does_not_hide_an_answer_that_is_not_json(xero, make_client):
    xero.answers = [answer(text="<html>proxy</html>")] * 3
    with pytest.raises(XeroUnavailable):
        list(make_client().invoices(on_unreadable=lambda raw, error: None))


def test_short_retry_after_is_waited_out(xero, make_client, clock):
    xero.answers = [
        answer(429, text="", headers={"Retry-After": "1", "X-Rate-Limit-Problem": "minute"}),
        answer(body=invoices_body(1)),
    ]
    assert len(list(make_client(max_wait=2.0).invoices())) == 1
    assert clock.slept == [1]


def test_long_retry_after_raises_at_once(xero, make_client, clock):
    xero.answers = [answer(429, text="", headers={"Retry-After": "37", "X-Rate-Limit-Problem": "Minute"})]
    with pytest.raises(RateLimited) as raised:
        make_client(max_wait=2.0).organisation()
    assert (raised.value.retry_after, raised.value.problem) == (37, "minute")
    assert clock.slept == []


def test_daily_limit_is_never_waited_for(xero, make_client, clock):
    xero.answers = [answer(429, text="", headers={"Retry-After": "1", "X-Rate-Limit-Problem": "day"})]
    with pytest.raises(RateLimited) as raised:
        make_client().organisation()
    assert raised.value.problem == "day"
    assert clock.slept == []


def test_token_expired_refreshes_once_and_retries(xero, make_client, tokens):
    xero.answers = [problem(401, "TokenExpired: token expired at 03/01/2026 08:59:00"), answer(body=invoices_body(1))]
    assert len(list(make_client().invoices())) == 1
    assert tokens.rejected == ["token-1"]
    assert xero.requests[1].headers["Authorization"] == "Bearer token-2"


def test_token_expired_twice_raises(xero, make_client, tokens):
    xero.answers = [problem(401, "TokenExpired: a"), problem(401, "TokenExpired: b")]
    with pytest.raises(TokenExpired):
        make_client().organisation()
    assert tokens.rejected == ["token-1"]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (problem(401, "AuthorizationUnsuccessful"), MissingScope),
        (problem(403, "AuthenticationUnsuccessful", "Forbidden"), ConnectionRevoked),
        (answer(404, text="The resource you're looking for cannot be found"), NotFound),
        (
            answer(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": "Expression expected"}),
            QueryRejected,
        ),
    ],
)
def test_answers_map_to_client_errors(xero, make_client, tokens, reply, error):
    xero.answers = [reply]
    with pytest.raises(error):
        make_client().invoice("INV-0001")
    assert tokens.rejected == []
    assert len(xero.requests) == 1


def test_query_rejected_carries_xeros_message(xero, make_client):
    xero.answers = [answer(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": "Expression expected"})]
    with pytest.raises(QueryRejected, match="Expression expected"):
        list(make_client().invoices(where="Status=="))


def test_single_invoice_missing_from_envelope_is_not_found(xero, make_client):
    xero.answers = [answer(body={"Invoices": []})]
    with pytest.raises(NotFound):
        make_client().invoice("INV/1")
    assert xero.requests[0].url.endswith("/Invoices/INV%2F1")


def test_limits_are_read_from_every_answer(xero, make_client):
    seen: list[RateLimitStatus] = []
    xero.answers = [answer(503, text="", headers={"X-MinLimit-Remaining": "12"}), answer(body=invoices_body(1))]
    client = make_client(on_limits=seen.append)
    list(client.invoices())
    assert [s.minute_remaining for s in seen] == [12, 59]
    assert client.last_limits == RateLimitStatus(minute_remaining=59, day_remaining=4999, app_minute_remaining=9999)


def test_gate_wraps_every_http_call_and_may_refuse(xero, make_client):
    entered = []

    @contextlib.contextmanager
    def gate():
        entered.append(len(xero.requests))
        yield

    xero.answers = [answer(503, text=""), answer(body=invoices_body(1))]
    list(make_client(gate=gate).invoices())
    assert entered == [0, 1]

    def refusing_gate():
        raise RateLimited(5, "budget")

    with pytest.raises(RateLimited):
        make_client(gate=refusing_gate).organisation()
    assert len(xero.requests) == 2  # the refused call never went out


def test_every_method_only_gets(xero, make_client):
    org = {"OrganisationID": "o", "Name": "n", "ShortCode": "!a", "BaseCurrency": "NZD"}
    contact = {"ContactID": "c1", "Name": "Jane"}
    payment = {"PaymentID": "p", "Date": "/Date(0)/", "Amount": 1, "Invoice": {"InvoiceID": "i", "CurrencyCode": "NZD"}}
    xero.answers = [
        answer(body={"Organisations": [org]}),
        answer(body={"Contacts": [contact]}),
        answer(body={"Contacts": [contact]}),
        answer(body=invoices_body(1)),
        answer(body=invoices_body(1)),
        answer(body=invoices_body(1)),
        answer(body={"Payments": [payment]}),
    ]
    client = make_client()
    client.organisation()
    list(client.contacts(search_term="jane"))
    client.contact("c1")
    list(client.invoices())
    client.invoice_page(1)
    client.invoice("INV-1")
    [paid] = client.payments()
    assert paid.invoice_id == "i"
    xero.answers = [answer(body={"OnlineInvoices": [{"OnlineInvoiceUrl": "https://in.xero.com/abc"}]}),
                    pdf_answer(b"%PDF-1.4 x")]
    client.online_invoice_url("i")
    with client.invoice_pdf("i") as pdf:
        assert b"".join(pdf.chunks()) == b"%PDF-1.4 x"
    assert {r.method for r in xero.requests} == {"GET"}
    assert all(r.url.startswith(ENDPOINTS.api_url) for r in xero.requests)
    assert not hasattr(XeroClient, "post") and not any(
        name.startswith(("create", "update", "delete", "put")) for name in dir(XeroClient)
    )


def test_page_size_is_bounded(make_client):
    with pytest.raises(ValueError, match="page_size"):
        next(make_client().invoices(page_size=1001))


# --- what the client reports: every HTTP request to on_call, Xero's correlation id on every error -------------


def test_on_call_hears_every_http_request_with_its_operation_outcome_and_time(xero, make_client):
    heard: list[tuple[str, str, float]] = []
    xero.answers = [
        answer(503, text=""), requests.Timeout("slow"), answer(body=invoices_body(1)),  # one call, three requests
        answer(body={"Contacts": [{"ContactID": "c-1", "Name": "A", "ContactStatus": "ACTIVE"}]}),
        answer(404, text="The resource you're looking for cannot be found"),
    ]
    client = make_client(on_call=lambda *call: heard.append(call))
    list(client.invoices())
    client.contact("c-1")
    with pytest.raises(NotFound):
        client.invoice("INV-1")
    assert [(operation, outcome) for operation, outcome, _ in heard] == [
        ("Invoices", "server_error"), ("Invoices", "timeout"), ("Invoices", "ok"),
        ("Contacts/{id}", "ok"), ("Invoices/{id}", "not_found"),
    ]
    assert all(isinstance(seconds, float) and seconds >= 0 for _, _, seconds in heard)


def test_on_call_outcomes_for_limits_tokens_and_unreadable_answers(xero, make_client, tokens):
    heard: list[str] = []
    xero.answers = [
        answer(429, text="", headers={"Retry-After": "37", "X-Rate-Limit-Problem": "minute"}),
        problem(401, "TokenExpired"), answer(text="<html>proxy</html>"), requests.ConnectionError("reset"),
        answer(body={"Organisations": [{"OrganisationID": "o-1", "Name": "Org", "ShortCode": "!x",
                                         "BaseCurrency": "NZD"}]}),
    ]
    client = make_client(on_call=lambda _operation, outcome, _seconds: heard.append(outcome))
    with pytest.raises(RateLimited):
        client.organisation()
    client.organisation()
    assert heard == ["rate_limited", "unauthorized", "malformed", "connection_error", "ok"]


def test_a_refused_gate_is_not_a_call_to_xero(xero, make_client):
    heard: list[tuple] = []

    def refusing_gate():
        raise RateLimited(5, "minute")

    with pytest.raises(RateLimited):
        make_client(gate=refusing_gate, on_call=lambda *call: heard.append(call)).organisation()
    assert heard == []


CORRELATION = {"Xero-Correlation-Id": "9d6b6b2e-6f0c-4c39-a8de-8c1bd4e2c5a1"}


@pytest.mark.parametrize(
    ("replies", "error"),
    [
        ([answer(404, text="not found", headers=CORRELATION)], NotFound),
        ([answer(400, {"Message": "Expression expected"}, headers=CORRELATION)], QueryRejected),
        ([problem(401, "AuthorizationUnsuccessful")], MissingScope),
        ([answer(403, {"Detail": "AuthenticationUnsuccessful"}, headers=CORRELATION)], ConnectionRevoked),
        ([answer(429, text="", headers={"Retry-After": "37", "X-Rate-Limit-Problem": "minute", **CORRELATION})],
         RateLimited),
        ([answer(503, text="", headers=CORRELATION)] * 3, XeroUnavailable),
        ([answer(text="<html>", headers=CORRELATION)] * 3, XeroUnavailable),
    ],
)
def test_errors_from_an_answer_carry_its_xero_correlation_id(xero, make_client, replies, error):
    for reply in replies:
        reply.headers.update(CORRELATION)
    xero.answers = list(replies)
    with pytest.raises(error) as raised:
        make_client().organisation()
    assert raised.value.correlation_id == CORRELATION["Xero-Correlation-Id"]
    assert correlation_note(raised.value) == f" (Xero-Correlation-Id {CORRELATION['Xero-Correlation-Id']})"
    assert log_extra(raised.value) == {"xero_correlation_id": CORRELATION["Xero-Correlation-Id"]}


def test_errors_without_an_answer_have_no_correlation_id(xero, make_client):
    xero.answers = [requests.Timeout("slow")] * 3
    with pytest.raises(XeroUnavailable) as raised:
        make_client().organisation()
    assert raised.value.correlation_id is None
    assert correlation_note(raised.value) == "" and log_extra(raised.value) == {}


def test_connections_errors_carry_the_xero_correlation_id_too(xero):
    from plugin.xero.oauth import XeroOAuth

    oauth = XeroOAuth(endpoints=ENDPOINTS, client_id="c", client_secret="s", scopes=["openid"],
                      redirect_uri="http://panel.test/cb", session=xero.session())
    xero.answers = [answer(403, text="", headers=CORRELATION)]
    with pytest.raises(ConnectionRevoked) as raised:
        oauth.connections("access-token")
    assert raised.value.correlation_id == CORRELATION["Xero-Correlation-Id"]


# --- Quick actions: the online invoice URL and the PDF -------------------------------------------------------------


def pdf_answer(content: bytes = b"%PDF-1.4\n...%%EOF", status: int = 200, kind: str = "application/pdf"):
    response = answer(status, text="", headers={"Content-Type": kind, "Content-Length": str(len(content))})
    response._content = content
    response.raw = io.BytesIO(content)
    response._content_consumed = False
    return response


def test_the_online_invoice_url_is_one_get_of_its_own_path(xero, make_client):
    xero.answers = [answer(body={"OnlineInvoices": [{"OnlineInvoiceUrl": "https://in.xero.com/bCWCC"}]})]
    assert make_client().online_invoice_url("inv-1") == "https://in.xero.com/bCWCC"
    sent = xero.requests[0]
    assert (sent.method, sent.url) == ("GET", "http://xero.test/api.xro/2.0/Invoices/inv-1/OnlineInvoice")
    assert sent.headers["Accept"] == "application/json"


@pytest.mark.parametrize(("reply", "error"), [
    (lambda: answer(body={"OnlineInvoices": []}), NotFound),
    (lambda: answer(body={"OnlineInvoices": [{"OnlineInvoiceUrl": "javascript:alert(1)"}]}), BadXeroData),
    (lambda: answer(400, {"ErrorNumber": 10, "Type": "ValidationException", "Message": "no"}), QueryRejected),
    (lambda: answer(404, text="The resource you're looking for cannot be found"), NotFound),
])
def test_an_online_invoice_xero_does_not_give_is_an_error(xero, make_client, reply, error):
    xero.answers = [reply()]
    with pytest.raises(error):
        make_client().online_invoice_url("inv-1")


def test_the_pdf_streams_through_holding_its_budget_slot_until_closed(xero, make_client):
    held = []

    @contextlib.contextmanager
    def gate():
        held.append("in")
        yield
        held.append("out")

    xero.answers = [pdf_answer(b"%PDF-1.4 " + b"x" * 200_000)]
    pdf = make_client(gate=gate).invoice_pdf("inv-1")
    sent = xero.requests[0]
    assert (sent.method, sent.url, sent.headers["Accept"]) == (
        "GET", "http://xero.test/api.xro/2.0/Invoices/inv-1", "application/pdf")
    assert held == ["in"], "the slot is held while the PDF is read"
    chunks = list(pdf.chunks())
    assert len(chunks) > 1 and b"".join(chunks).startswith(b"%PDF-1.4")
    assert held == ["in", "out"]
    pdf.close()  # closing again is harmless
    assert held == ["in", "out"]


@pytest.mark.parametrize(("reply", "error"), [
    (lambda: answer(404, text="The resource you're looking for cannot be found"), NotFound),
    (lambda: answer(429, text="", headers={"Retry-After": "30", "X-Rate-Limit-Problem": "minute"}), RateLimited),
    (lambda: answer(503, text=""), XeroUnavailable),
    (lambda: pdf_answer(b"{}", kind="application/json"), XeroUnavailable),
    (lambda: requests.ConnectionError("down"), XeroUnavailable),
])
def test_a_pdf_xero_does_not_send_is_an_error_and_gives_its_slot_back(xero, make_client, reply, error):
    held = []

    @contextlib.contextmanager
    def gate():
        held.append("in")
        yield
        held.append("out")

    xero.answers = [reply()]
    with pytest.raises(error):
        make_client(gate=gate).invoice_pdf("inv-1")
    assert held == ["in", "out"]
    assert len(xero.requests) == 1, "one attempt: the rep can ask again"


def test_an_expired_token_on_the_pdf_is_refreshed_once(xero, make_client, tokens):
    xero.answers = [problem(401, "TokenExpired: token expired"), pdf_answer()]
    with make_client().invoice_pdf("inv-1") as pdf:
        assert b"".join(pdf.chunks()).startswith(b"%PDF")
    assert [r.headers["Authorization"] for r in xero.requests] == ["Bearer token-1", "Bearer token-2"]
