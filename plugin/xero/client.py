"""A read-only client for Xero's Accounting API: GET only, typed answers, one error hierarchy.

Every call carries a timeout, `Accept: application/json`, the tenant id and a bearer token from a TokenSource.
Failures Xero may recover from (connection errors, time-outs, 5xx, an unreadable body) are retried with capped,
jittered backoff; a 429 waits only when Retry-After fits in `max_wait`, otherwise it is raised at once; a 401
TokenExpired makes the token source refresh once. A request never sleeps longer than `max_wait` in total.

Observability without knowing who watches: every HTTP request sent is reported to `on_call(operation, outcome,
seconds)` (plugin.services turns it into Prometheus metrics), and every XeroError raised from an answer carries
that answer's `Xero-Correlation-Id` header as `correlation_id`, the id Xero's support asks for.

An unreadable body (malformed JSON, an HTML error page) counts as XeroUnavailable and is retried: it is what a cut
connection or a proxy looks like, and asking again is safe. BadXeroData is kept for well-formed answers with a
field we cannot read, where asking again would not help.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import quote

import requests

from plugin.domain.clock import Clock, SystemClock
from plugin.domain.models import Contact, Invoice, InvoicePage, Organisation, Payment, RateLimitStatus
from plugin.xero import deadline
from plugin.xero.deadline import XeroSlow
from plugin.xero.endpoints import XeroEndpoints
from plugin.xero.errors import (
    AnyXeroError,
    BadXeroData,
    ConnectionRevoked,
    MissingScope,
    NotFound,
    QueryRejected,
    RateLimited,
    TokenExpired,
    XeroError,
    XeroUnavailable,
    with_correlation_id,
)
from plugin.xero.parse import (
    DecodedInvoices,
    items_of,
    load_json,
    parse_contact,
    parse_invoice_page,
    parse_organisation,
    parse_payment,
    read_invoices,
)
from plugin.xero.retry import RETRYABLE_STATUSES, Jitter, backoff, equal_jitter, should_retry

MAX_PAGE_SIZE = 1000
PDF = "application/pdf"
PDF_CHUNK = 64 * 1024
DEFAULT_RETRY_AFTER = 1  # seconds, when a 429 comes without Retry-After (the concurrent limit)


class TokenSource(Protocol):
    """Where the client gets its bearer token (plugin/connection.py stores and refreshes them)."""

    def access_token(self) -> str:
        """A token that is valid now, refreshed first if it is about to expire."""

    def refresh_after_rejection(self, rejected: str) -> str:
        """Xero said 401 TokenExpired to `rejected`: return a fresh token (unless another worker already did)."""


Gate = Callable[[], AbstractContextManager[Any]]
OnUnreadable = Callable[[Mapping[str, Any], BadXeroData], None]
# on_call(operation, outcome, seconds): one HTTP request to Xero was answered (or failed) after `seconds`.
# operation: the API path with ids replaced ("Invoices", "Contacts/{id}"); outcome: one of OUTCOMES.
OnCall = Callable[[str, str, float], None]

_STATUS_OUTCOMES = {200: "ok", 400: "rejected", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                    429: "rate_limited"}
OUTCOMES = (*_STATUS_OUTCOMES.values(), "server_error", "other_status", "malformed", "timeout", "connection_error")

PageReader = Callable[[bytes], tuple[Any, int, Any]]


@dataclass
class _Call:
    """What one logical GET has used so far: its token, retries, seconds waited, whether it refreshed."""

    token: str
    retries: int = 0
    waited: float = 0.0
    refreshed: bool = False


class XeroClient:
    """Read-only access to one organisation (tenant). Methods that list return lazy iterators over pages."""

    def __init__(
        self,
        *,
        endpoints: XeroEndpoints,
        tenant_id: str,
        tokens: TokenSource,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
        max_retries: int = 2,
        max_wait: float = 2.0,
        jitter: Jitter | None = None,
        gate: Gate | None = None,
        on_limits: Callable[[RateLimitStatus], None] | None = None,
        on_call: OnCall | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._tenant_id = tenant_id
        self._tokens = tokens
        self._session = session or requests.Session()
        self._timeout = timeout
        self._clock = clock or SystemClock()
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._jitter = jitter or equal_jitter
        self._gate = gate or contextlib.nullcontext
        self._on_limits = on_limits
        self._on_call = on_call
        self.last_limits = RateLimitStatus()

    # -- what the product calls ----------------------------------------------------------------------------------

    def organisation(self) -> Organisation:
        """The connected organisation: name, ShortCode (for deep links) and base currency."""
        return parse_organisation(_single(self._get("Organisation"), "Organisations", "organisation"))

    def contacts(
        self,
        *,
        search_term: str | None = None,
        where: str | None = None,
        ids: Iterable[str] = (),
        include_archived: bool = False,
        page_size: int = 100,
        summary_only: bool = False,
        if_modified_since: datetime | date | None = None,
    ) -> Iterator[Contact]:
        """Contacts matching the filters, fetched a page at a time as the caller iterates. `summary_only`: Xero's
        lighter answer (no addresses, phones or balances), enough for names, emails and statuses."""
        params = _query(searchTerm=search_term, where=where, IDs=_csv(ids), includeArchived=include_archived,
                        summaryOnly=summary_only)
        headers = _modified_since(if_modified_since)
        return (parse_contact(item) for item in self._paged("Contacts", "Contacts", params, page_size, headers))

    def contact(self, contact_id: str) -> Contact:
        return parse_contact(_single(self._get(f"Contacts/{_segment(contact_id)}"), "Contacts", contact_id))

    def invoices(
        self,
        *,
        contact_ids: Iterable[str] = (),
        statuses: Iterable[str] = (),
        where: str | None = None,
        order: str | None = "Date DESC",
        page_size: int = 100,
        if_modified_since: datetime | date | None = None,
        search_term: str | None = None,
        on_unreadable: OnUnreadable | None = None,
    ) -> Iterator[Invoice]:
        """Invoices and bills matching the filters, fetched a page at a time as the caller iterates.

        By default one invoice with a field we cannot read raises BadXeroData for the whole list. With
        `on_unreadable(raw_item, error)` that invoice is handed to the callback instead and the rest are still
        listed (a page that is not JSON at all is still XeroUnavailable)."""
        params = _invoice_query(contact_ids, statuses, where, order, search_term)
        headers = _modified_since(if_modified_since)
        return _readable(self._pages("Invoices", params, page_size, headers, _invoices_read), on_unreadable)

    def invoice_page(
        self,
        page: int = 1,
        *,
        contact_ids: Iterable[str] = (),
        statuses: Iterable[str] = (),
        where: str | None = None,
        order: str | None = "Date DESC",
        page_size: int = 100,
        search_term: str | None = None,
    ) -> InvoicePage:
        """One page of invoices with Xero's pagination figures, for views that page on request."""
        params = _invoice_query(contact_ids, statuses, where, order, search_term)
        query = {**params, "page": page, "pageSize": _checked_page_size(page_size)}
        return self._get("Invoices", query, decode=lambda content: parse_invoice_page(content, page=page,
                                                                                      page_size=page_size))

    def invoice(self, id_or_number: str) -> Invoice:
        """One invoice by InvoiceID or InvoiceNumber (Xero accepts either in the path)."""
        decoded = self._get(f"Invoices/{_segment(id_or_number)}", decode=read_invoices)
        if decoded.unreadable:
            raise decoded.unreadable[0][1]
        if not decoded.invoices:
            raise NotFound(f"Invoices: no {id_or_number}")
        return decoded.invoices[0]

    def online_invoice_url(self, invoice_id: str) -> str:
        """The customer-facing URL of a sales invoice (GET Invoices/{InvoiceID}/OnlineInvoice). Xero has one only for
        approved sales invoices; for others it answers 400 or 404, raised as QueryRejected / NotFound."""
        body = self._get(f"Invoices/{_segment(invoice_id)}/OnlineInvoice")
        url = _single(body, "OnlineInvoices", invoice_id).get("OnlineInvoiceUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise BadXeroData("OnlineInvoiceUrl", url, "not a URL")
        return url

    def invoice_pdf(self, invoice_id: str) -> PdfStream:
        """Xero's own PDF of an invoice (GET Invoices/{InvoiceID} with Accept: application/pdf), streamed: iterate the
        answer's chunks and close it (it is a context manager). The call holds its budget slot until closed. One
        attempt (a 401 TokenExpired refreshes once); failures raise the same XeroErrors as the other calls."""
        path = f"Invoices/{_segment(invoice_id)}"
        url = f"{self._endpoints.api_url}/{path}"
        operation = f"{operation_of(path)} (PDF)"
        call = _Call(token=self._tokens.access_token())
        while True:
            slot = contextlib.ExitStack()
            slot.enter_context(self._gate())
            started = time.perf_counter()
            try:
                response = self._session.get(url, headers=self._headers(call.token, PDF), timeout=self._timeout,
                                             stream=True)
            except (requests.ConnectionError, requests.Timeout) as error:
                slot.close()
                self._report(operation, _network_outcome(error), time.perf_counter() - started)
                raise XeroUnavailable(f"GET {path} (PDF): {type(error).__name__}") from error
            seconds = time.perf_counter() - started
            self._note_limits(response)
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if response.status_code == 200 and kind == PDF:
                self._report(operation, "ok", seconds)
                return PdfStream(response, slot)
            try:
                response.content  # noqa: B018 (an error body is small: read it, then let the slot go)
            finally:
                response.close()
                slot.close()
            if response.status_code == 200:
                self._report(operation, "malformed", seconds)
                raise _with_correlation(XeroUnavailable(f"GET {path} (PDF): answered {kind or 'no type'}"), response)
            self._report(operation, _status_outcome(response.status_code), seconds)
            if response.status_code == 401:
                self._refresh_or_raise(response, call)
                continue
            if response.status_code == 429:
                raise rate_limited_from(response)
            if response.status_code in RETRYABLE_STATUSES:
                raise _with_correlation(XeroUnavailable(f"GET {path} (PDF): HTTP {response.status_code}"), response)
            raise _with_correlation(_error_for(path, response), response)

    def payments(
        self,
        *,
        where: str | None = None,
        order: str | None = None,
        page_size: int = 100,
        if_modified_since: datetime | date | None = None,
    ) -> Iterator[Payment]:
        """Payments (each names its invoice), a page at a time."""
        params = _query(where=where, order=order)
        headers = _modified_since(if_modified_since)
        return (parse_payment(item) for item in self._paged("Payments", "Payments", params, page_size, headers))

    # -- paging ---------------------------------------------------------------------------------------------------

    def _paged(
        self, path: str, key: str, params: dict[str, str], page_size: int, headers: Mapping[str, str] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """The items under `key`, decoded as dicts, page by page."""

        def read(content: bytes) -> tuple[list[Any], int, Any]:
            body = load_json(content)
            items = items_of(body, key)
            return items, len(items), body.get("pagination")

        for items in self._pages(path, params, page_size, headers, read):
            yield from items

    def _pages(
        self, path: str, params: dict[str, str], page_size: int, headers: Mapping[str, str] | None, read: PageReader
    ) -> Iterator[Any]:
        """What `read` makes of each page, until a short or empty page or the last page `pagination` announces.
        `read(content)` returns (what the page holds, how many items Xero sent on it, its pagination object)."""
        page_size = _checked_page_size(page_size)
        page = 1
        while True:
            held, received, pagination = self._get(
                path, {**params, "page": str(page), "pageSize": str(page_size)}, headers, decode=read
            )
            yield held
            if received < page_size or _pagination_says_last(pagination, page):
                return
            page += 1

    # -- one logical GET ------------------------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        decode: Callable[[bytes], Any] = load_json,
    ) -> Any:
        """GET a path under the Accounting API and return `decode(body)` (by default the JSON as dicts), retrying
        and refreshing as needed. A ValueError from `decode` means the body was not JSON: retried, like a 5xx."""
        url = f"{self._endpoints.api_url}/{path}"
        operation = operation_of(path)
        call = _Call(token=self._tokens.access_token())
        while True:
            deadline.check(f"GET {path}")
            try:
                response, seconds = self._send(url, params, headers, call.token)
            except (requests.ConnectionError, requests.Timeout) as error:
                self._report(operation, _network_outcome(error), getattr(error, "seconds", 0.0))
                self._retry_or_raise(call, XeroUnavailable(f"GET {path}: {type(error).__name__}"))
                continue
            self._note_limits(response)
            if response.status_code == 200:
                try:
                    body = decode(response.content)
                except ValueError:
                    self._report(operation, "malformed", seconds)
                    self._retry_or_raise(call, _with_correlation(
                        XeroUnavailable(f"GET {path}: the answer was not JSON"), response))
                    continue
                self._report(operation, "ok", seconds)
                return body
            self._report(operation, _status_outcome(response.status_code), seconds)
            self._handle_failure(path, response, call)

    def _send(self, url: str, params, headers, token: str) -> tuple[requests.Response, float]:
        """The only place that touches the network, and it only ever GETs. Returns the answer and how long it took
        (a network error carries the seconds it took as `seconds`); time spent waiting at the gate is not counted."""
        all_headers = {**self._headers(token, "application/json"), **(headers or {})}
        with self._gate():
            timeout = deadline.bounded(self._timeout)  # no try outlives the view's deadline
            if timeout < deadline.TOO_LITTLE:
                raise XeroSlow("GET: no time left for the call after waiting for a slot")
            started = time.perf_counter()
            try:
                response = self._session.get(url, params=params, headers=all_headers, timeout=timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                error.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
                raise
            return response, time.perf_counter() - started

    def _headers(self, token: str, accept: str) -> dict[str, str]:
        return {"Accept": accept, "xero-tenant-id": self._tenant_id, "Authorization": f"Bearer {token}"}

    def _report(self, operation: str, outcome: str, seconds: float) -> None:
        if self._on_call is not None:
            self._on_call(operation, outcome, seconds)

    def _handle_failure(self, path: str, response: requests.Response, call: _Call) -> None:
        """Prepare the next try (wait or refresh), or raise the error this answer means."""
        status = response.status_code
        if status == 401:
            self._refresh_or_raise(response, call)
        elif status == 429:
            self._wait_for_rate_limit_or_raise(response, call)
        elif status in RETRYABLE_STATUSES:
            self._retry_or_raise(call, _with_correlation(XeroUnavailable(f"GET {path}: HTTP {status}"), response),
                                 status)
        else:
            raise _with_correlation(_error_for(path, response), response)

    def _retry_or_raise(self, call: _Call, error: Exception, status: int | None = None) -> None:
        if not should_retry(status, call.retries, self._max_retries):
            raise self._slow_if_out_of_time(error)
        delay = min(backoff(call.retries, self._jitter), max(0.0, self._max_wait - call.waited))
        if deadline.bounded(delay + deadline.TOO_LITTLE) < delay + deadline.TOO_LITTLE:
            raise XeroSlow(f"{error}; no time left for another try") from error  # a retry would not fit
        self._wait(call, delay)

    @staticmethod
    def _slow_if_out_of_time(error: Exception) -> Exception:
        """A time-out that used up the view's deadline is Xero being slow, and the rep is told so."""
        current = deadline.current()
        if current is not None and current.expired() and isinstance(error, XeroUnavailable):
            slow = XeroSlow(f"{error}; the view's {current.seconds:g}s deadline passed")
            slow.correlation_id = error.correlation_id
            return slow
        return error

    def _wait_for_rate_limit_or_raise(self, response: requests.Response, call: _Call) -> None:
        """Wait out a short Retry-After (the concurrent or minute limit); raise a long one, or the daily limit."""
        error = rate_limited_from(response)
        fits = error.retry_after <= min(self._max_wait - call.waited, deadline.bounded(self._max_wait))
        if error.problem == "day" or not fits or call.retries >= self._max_retries:
            raise error
        self._wait(call, error.retry_after)

    def _refresh_or_raise(self, response: requests.Response, call: _Call) -> None:
        detail = _problem_detail(response)
        if "AuthorizationUnsuccessful" in detail:
            raise _with_correlation(MissingScope(detail), response)
        if "AuthenticationUnsuccessful" in detail:
            raise _with_correlation(ConnectionRevoked(detail), response)
        if call.refreshed:
            raise _with_correlation(TokenExpired(detail or "Xero rejected the refreshed token"), response)
        call.token = self._tokens.refresh_after_rejection(call.token)
        call.refreshed = True

    def _wait(self, call: _Call, seconds: float) -> None:
        call.retries += 1
        call.waited += seconds
        if seconds > 0:
            self._clock.sleep(seconds)

    def _note_limits(self, response: requests.Response) -> None:
        self.last_limits = rate_limit_status(response.headers)
        if response.status_code == 429:  # the budget learns which limit Xero refused, and for how long
            refused = rate_limited_from(response)
            self.last_limits = replace(self.last_limits, refused=refused.problem, retry_after=refused.retry_after)
        if self._on_limits is not None:
            self._on_limits(self.last_limits)


class PdfStream:
    """A PDF Xero is sending: `chunks()` yields its bytes as they arrive; `close()` ends the answer and gives its
    budget slot back (closing twice is harmless). Nothing is kept: the bytes go straight on to the browser."""

    def __init__(self, response: requests.Response, slot: contextlib.ExitStack) -> None:
        self._response = response
        self._slot = slot
        self.length = _header_int(response.headers, "Content-Length")

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_content(PDF_CHUNK)
        finally:
            self.close()

    def close(self) -> None:
        try:
            self._response.close()
        finally:
            self._slot.close()

    def __enter__(self) -> PdfStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- reading answers ---------------------------------------------------------------------------------------------


def rate_limit_status(headers: Mapping[str, str]) -> RateLimitStatus:
    """What the X-*-Remaining headers say; a missing or unreadable header is None."""
    return RateLimitStatus(
        minute_remaining=_header_int(headers, "X-MinLimit-Remaining"),
        day_remaining=_header_int(headers, "X-DayLimit-Remaining"),
        app_minute_remaining=_header_int(headers, "X-AppMinLimit-Remaining"),
    )


def operation_of(path: str) -> str:
    """A call's name for metrics: its path under the Accounting API with the id left out ("Invoices/{id}")."""
    collection, _, rest = path.partition("/")
    if not rest:
        return collection
    _, _, tail = rest.partition("/")  # e.g. Invoices/{id}/OnlineInvoice
    return f"{collection}/{{id}}/{tail}" if tail else f"{collection}/{{id}}"


def _status_outcome(status: int) -> str:
    if status in _STATUS_OUTCOMES:
        return _STATUS_OUTCOMES[status]
    return "server_error" if status >= 500 else "other_status"


def _network_outcome(error: Exception) -> str:
    return "timeout" if isinstance(error, requests.Timeout) else "connection_error"


def _with_correlation(error: AnyXeroError, response: requests.Response) -> AnyXeroError:
    """`error`, carrying the answer's Xero-Correlation-Id (when it has one) for the log line that reports it."""
    return with_correlation_id(error, response.headers)


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def rate_limited_from(response: requests.Response) -> RateLimited:
    """A 429 as an error: Retry-After seconds (a default when absent) and which limit (X-Rate-Limit-Problem)."""
    retry_after = _header_int(response.headers, "Retry-After")
    problem = response.headers.get("X-Rate-Limit-Problem", "")
    error = RateLimited(DEFAULT_RETRY_AFTER if retry_after is None else retry_after, problem)
    return _with_correlation(error, response)


def _problem_detail(response: requests.Response) -> str:
    """The Detail of a 401/403 problem body, or the raw text when it is not JSON."""
    try:
        body = load_json(response.content)
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("Detail") or body.get("Message") or body.get("Title") or "")
    return ""


def _error_for(path: str, response: requests.Response) -> XeroError:
    status = response.status_code
    if status == 403:
        return ConnectionRevoked(f"GET {path}: {_problem_detail(response) or 'forbidden'}")
    if status == 404:
        return NotFound(f"GET {path}: not found")
    if status == 400:
        return QueryRejected(f"GET {path}: {_problem_detail(response) or 'bad request'}")
    return XeroUnavailable(f"GET {path}: unexpected HTTP {status}")


def _invoices_read(content: bytes) -> tuple[DecodedInvoices, int, Any]:
    decoded = read_invoices(content)
    return decoded, decoded.received, decoded.pagination


def _readable(pages: Iterable[DecodedInvoices], on_unreadable: OnUnreadable | None) -> Iterator[Invoice]:
    """The invoices that could be read; each one that could not goes to `on_unreadable` (as Xero sent it, with
    the error naming its field), or without a callback raises its BadXeroData."""
    for page in pages:
        for raw, error in page.unreadable:
            if on_unreadable is None:
                raise error
            on_unreadable(raw, error)
        yield from page.invoices


def _single(body: Any, key: str, what: str) -> Mapping[str, Any]:
    items = items_of(body, key)
    if not items:
        raise NotFound(f"{key}: no {what}")
    return items[0]


def _pagination_says_last(pagination: Any, page: int) -> bool:
    if not isinstance(pagination, dict):
        return False
    page_count = pagination.get("pageCount")
    return isinstance(page_count, int) and page >= page_count


# -- building requests -------------------------------------------------------------------------------------------


def _invoice_query(contact_ids, statuses, where, order, search_term) -> dict[str, str]:
    return _query(
        ContactIDs=_csv(contact_ids), Statuses=_csv(statuses), where=where, order=order, searchTerm=search_term
    )


def _query(**params: str | bool | None) -> dict[str, str]:
    """Query parameters without the empty ones; booleans as Xero writes them."""
    query = {}
    for name, value in params.items():
        if value is True:
            query[name] = "true"
        elif value:
            query[name] = value
    return query


def _csv(values: Iterable[str]) -> str | None:
    """Xero's list parameters (IDs, ContactIDs, Statuses) are comma-separated."""
    if isinstance(values, str):
        values = (values,)
    joined = ",".join(str(v) for v in values)
    return joined or None


def _segment(value: str) -> str:
    if not value:
        raise NotFound("empty id")
    return quote(str(value), safe="")


def _checked_page_size(page_size: int) -> int:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    return page_size


def _modified_since(when: datetime | date | None) -> dict[str, str]:
    """The If-Modified-Since header in the UTC `yyyy-mm-ddThh:mm:ss` form Xero documents."""
    if when is None:
        return {}
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return {"If-Modified-Since": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")}
