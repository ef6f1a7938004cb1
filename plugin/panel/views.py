"""The invoice panel a rep sees on a contact, account or deal page.

`GET /panel?context=<jwt>` is the first load from the CRM; everything after it is an htmx request
carrying the panel session in `X-Panel-Session`. The page keeps its session in its URL's fragment
(`/panel#s=<token>`), so Back, Forward and a restored tab get the panel again through `/panel/resume`.
Each action re-renders the panel (`_panel.html`) for htmx and the whole page otherwise. Panel states
(not set up, Xero busy, ...) are answered with 200 so htmx swaps them in; only a missing or expired session
is a 401 (panel.js says so).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import time
from dataclasses import replace

from flask import Blueprint, current_app, g, render_template, request, stream_with_context, url_for
from werkzeug.wrappers import Response

from plugin.domain.invoices import View
from plugin.domain.invoices import has_online_invoice as is_online
from plugin.domain.text import N_
from plugin.embed.context import EmbedContext
from plugin.embed.session import require_embed_context, require_panel_session
from plugin.panel import changes, fragments, list_part, rows, summary
from plugin.panel.loader import PanelLoader, PinRefused
from plugin.panel.model import PanelPage, PanelQuery
from plugin.runtime import metrics
from plugin.runtime.encoding import Typed
from plugin.runtime.invoices import search_customers
from plugin.services import services
from plugin.settings import xero_endpoints
from plugin.web import formatting
from plugin.web.htmx import htmx
from plugin.xero import deadline
from plugin.xero.errors import XeroError

bp = Blueprint("panel", __name__, url_prefix="/panel")
bp.add_app_template_global(rows.rendered_row)
bp.add_app_template_global(rows.rendered_rows)
bp.add_app_template_global(summary.rendered_summary)
bp.add_app_template_global(fragments.rendered_views)
bp.add_app_template_global(fragments.rendered_filters)
bp.add_app_template_global(fragments.rendered_contact)
changes.register(bp)

# The requests that answer with the panel (data and HTML): their time is the render time histogram.
RENDERS = frozenset({"first_load", "resume", "invoices", "refresh", "toggle_pin", "link", "unlink"})


@bp.before_request
def _start_timer() -> None:
    g.panel_started = time.perf_counter()
    # The whole view, cold or not, gets XERO_VIEW_DEADLINE seconds of Xero (plugin.xero.deadline).
    g.panel_deadline = deadline.start(deadline.Deadline(float(current_app.config["XERO_VIEW_DEADLINE"])))


@bp.teardown_request
def _end_deadline(_error: BaseException | None) -> None:
    token = g.pop("panel_deadline", None)
    if token is not None:
        deadline.finish(token)


@bp.after_request
def _record_render_time(response: Response) -> Response:
    view = (request.endpoint or "").rpartition(".")[2]
    started = g.get("panel_started")
    if view in RENDERS and started is not None:
        metrics.render_took(view, time.perf_counter() - started)
    return response


def _loader() -> PanelLoader:
    embed, shared = g.embed, services()
    client = functools.cache(lambda: shared.xero_client(embed.account_id))
    return PanelLoader(embed, services=shared, client=client,
                       deep_link_base=xero_endpoints(current_app.config).deep_link_base)


def _query(loader: PanelLoader) -> PanelQuery:
    """The rep's choices; a view named in the request becomes the one remembered for next time."""
    params = request.values
    if View.named(params.get("view")) is not None:
        # The query needs no remembered view, so the new one is written in the round trip that reads the match.
        query = PanelQuery.from_params(params)
        loader.remember_view(query.view)
        return query
    query = PanelQuery.from_params(params, default_view=loader.remembered_view())
    if params.get("view"):
        loader.remember_view(query.view)
    return query


# The parts of the panel an htmx request may ask for (`part=`), each the smallest that changes:
#   rows  the list region (its rows, its caption and sum) with the view tabs, filter state and summary scope out of
#         band: a view switch, an ageing bucket, a search or date filter;
#   more  the next rows only, appended (Show more);
#   row   one invoice row and the Pinned count (a pin).
PARTS = {"rows": list_part.PART_TEMPLATE, "more": "panel/_more_part.html", "row": "panel/_row_part.html"}


def _render(page: PanelPage, *, whole: bool = False, **extra) -> Response:  # type: ignore[no-untyped-def]
    user = g.embed.user
    context = {
        "page": page,
        "user": user,
        "locale": formatting.user_locale(user.locale),
        "timezone": user.timezone,
        "html_lang": user.locale or "en",
        "session_token": g.panel_session,
        **extra,
    }
    if extra.pop("resumed", False):
        template = "panel/_resumed.html"
    else:
        template = "panel/_panel.html" if htmx and not htmx.boosted else "panel/page.html"
    part = "" if whole else request.values.get("part", "")
    if template == "panel/_panel.html" and part in PARTS and page.has_data and page.notice is None:
        template = PARTS[part]  # anything else (a state, a notice) re-renders the whole panel
        context["offset"] = _offset(page)
    if template == list_part.PART_TEMPLATE:
        body = list_part.rendered(page, context["locale"], lambda: render_template(template, **context))
    else:
        body = render_template(template, **context)
    response = Response(body, mimetype="text/html")
    response.vary.add("HX-Request")
    return response


def _offset(page: PanelPage) -> int:
    """Show more: how many rows the list already shows (they are not sent again)."""
    try:
        return min(max(int(request.values.get("offset") or 0), 0), page.query.limit)
    except ValueError:
        return 0


@bp.get("")
def first_load() -> Response:
    """The CRM's first load (`?context=` or a host's `?launch=`), or, with no query at all, Back, Forward or a
    restored tab: after the first load panel.js replaced the URL with `/panel#s=<session>`, and a fragment never
    reaches the server, so this answers with a small page that reads it and asks `/panel/resume` with the session
    in the X-Panel-Session header (the token never travels in a query string, so it is in no server log)."""
    if not request.args:
        body = render_template("panel/resume.html", html_lang="en")
        return Response(body, mimetype="text/html")
    return _first_load_from_the_crm()


@require_embed_context
def _first_load_from_the_crm() -> Response:
    loader = _loader()
    framed = request.headers.get("Sec-Fetch-Dest") == "iframe" and g.embed.host == "generic"
    if framed and loader.would_wait():
        # A browser framing a cold view: answer at once and let htmx ask for the panel, so the part that waits
        # says "Still waiting for Xero…" after a second. Other clients get the panel in this one answer, and so
        # does a host that sizes its frame from the first page (Pipedrive's SDK).
        user = g.embed.user
        body = render_template("panel/waiting.html", session_token=g.panel_session, user=user,
                               html_lang=user.locale or "en")
        return Response(body, mimetype="text/html")
    return _render(loader.page(PanelQuery(view=loader.remembered_view()), stale_ok=True))


@bp.get("/resume")
@require_panel_session
def resume() -> Response:
    """The panel again for a page that came back from history (see first_load): the whole page's content, swapped
    into the small page's body, for as long as the session may be renewed; after that panel.js says to reload."""
    loader = _loader()
    page = loader.page(PanelQuery(view=loader.remembered_view()), stale_ok=True)
    return _render(page, resumed=True)


@bp.get("/invoices")
@require_panel_session
def invoices() -> Response:
    """`fresh=1` is the follow-up of a panel shown from expired data (or told it changed): it waits for Xero."""
    loader = _loader()
    return _render(loader.page(_query(loader), stale_ok=request.args.get("fresh") != "1"))


def _rep(loader) -> str:
    return f"{loader.account_id}:{loader.embed.user.id}"


@bp.post("/refresh")
@require_panel_session
def refresh() -> Response:
    loader = _loader()
    with services().budget.share(_rep(loader)):  # Refresh draws on the rep's own share of the minute
        return _render(loader.page(_query(loader), force=True))


@bp.post("/pins/<invoice_id>")
@require_panel_session
def toggle_pin(invoice_id: str) -> Response:
    """The button sends the state the rep asked for (`pinned`), so two reps clicking at once, or a retried
    request, leave the pin as they meant; without it the pin flips."""
    loader = _loader()
    wanted = request.form.get("pinned")
    try:
        loader.toggle_pin(invoice_id[:64], pinned=None if wanted is None else wanted == "true")
    except PinRefused as refused:
        return _render(replace(loader.page(_query(loader)), pin_message=str(refused)), whole=True)
    page = loader.page(_query(loader))
    if request.values.get("part") == "row":
        row = next((row for row in page.rows if row.invoice.invoice_id == invoice_id), None)
        if row is not None:
            return _render(page, pinned_row=row)
        # The row is not in this list (any more, e.g. unpinned in Pinned): the whole panel, in its place.
        response = _render(page, whole=True)
        response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#panel", "outerHTML"
        return response
    return _render(page)


@bp.get("/contacts")
@require_panel_session
def contact_search() -> Response:
    """Xero customers by name or email, for linking this record by hand (this one asks Xero)."""
    loader = _loader()
    text = (request.args.get("contact_q") or "").strip()[:100]
    try:
        with services().budget.share(_rep(loader)):  # searches draw on the rep's own share of the minute
            results = search_customers(loader.client(), text) if loader.connection() else ()
        message = ""
    except XeroError as error:
        results, message = (), error.user_message
    body = render_template("panel/_contact_results.html", results=results,
                           searched=len(text) >= 2 and not message, contact_q=text, message=message)
    response = Response(body, mimetype="text/html")
    response.vary.add("HX-Request")
    return response


@bp.post("/link")
@require_panel_session
def link() -> Response:
    loader = _loader()
    contact_id = (request.form.get("contact_id") or "").strip()[:64]
    if contact_id:
        try:
            contact = loader.client().contact(contact_id)
        except XeroError:
            contact = None
        if contact is not None and contact.is_customer:
            loader.link(contact.contact_id, contact.name)
    return _render(loader.page(_query(loader)))


@bp.get("/unlink")
@require_panel_session
def unlink_question() -> str:
    """Unlink's first step, asked inside the page (panel/_unlink.html); `?answer=cancel` puts the button back."""
    cancelled = request.args.get("answer") == "cancel"
    return render_template("panel/_unlink.html", asking_unlink=not cancelled, focus_unlink=cancelled)


@bp.post("/unlink")
@require_panel_session
def unlink() -> Response:
    loader = _loader()
    loader.unlink()
    return _render(loader.page(_query(loader)))


@bp.get("/session")
@require_panel_session
def keep_session() -> Response:
    """Nothing but the session check: an idle page pings this so its token is renewed (see plugin.embed.session)."""
    return Response(status=204)


# --- Quick actions on one sales invoice ---------------------------------------------------------------------------
# Every invoice id comes from the rep's browser, so each action first checks it is one of this record's customer's
# invoices in the cached snapshot (PanelLoader.owned_invoice) before anything is asked of Xero.

NOT_THIS_CUSTOMERS = N_("That invoice isn't one of this customer's invoices.")
NOT_ONLINE = N_("Xero has a payment link and PDF only for approved sales invoices.")


def _refusal(invoice) -> str:  # type: ignore[no-untyped-def]
    return NOT_THIS_CUSTOMERS if invoice is None else NOT_ONLINE
PDF_TICKET_TTL = 300  # seconds a PDF link in an opened actions menu works


def _fragment(template: str, status: int = 200, **context) -> Response:  # type: ignore[no-untyped-def]
    body = render_template(template, locale=formatting.user_locale(g.embed.user.locale), **context)
    response = Response(body, status=status, mimetype="text/html")
    response.vary.add("HX-Request")
    return response


@bp.get("/invoices/<invoice_id>/actions")
@require_panel_session
def invoice_actions(invoice_id: str) -> Response:
    """The actions menu of one row, filled when the rep opens it: Copy payment link, and a PDF link that works for a
    few minutes in a new tab (a top-level tab sends no panel session header, so the link carries a ticket naming
    this rep's record and this invoice; the ticket itself is only a random key into the shared cache)."""
    loader = _loader()
    invoice = loader.owned_invoice(invoice_id[:64])
    if invoice is None or not is_online(invoice):
        return _fragment("panel/_actions.html", invoice=None, message=_refusal(invoice))
    ticket = secrets.token_urlsafe(24)
    _PDF_TICKET.set(services().cache, _ticket_key(ticket), (g.embed, invoice.invoice_id), timeout=PDF_TICKET_TTL)
    return _fragment("panel/_actions.html", invoice=invoice, pdf_url=url_for("panel.invoice_pdf", ticket=ticket))


@bp.get("/invoices/<invoice_id>/payment-link")
@require_panel_session
def payment_link(invoice_id: str) -> Response:
    """Xero's online invoice URL for the rep to copy (fetched once per invoice, then cached)."""
    loader = _loader()
    invoice = loader.owned_invoice(invoice_id[:64])
    if invoice is None or not is_online(invoice):
        return _fragment("panel/_payment_link.html", url="", message=_refusal(invoice))
    try:
        url, message = loader.payment_link(invoice), ""
    except XeroError as error:
        url, message = "", error.user_message
    return _fragment("panel/_payment_link.html", url=url, message=message, invoice=invoice)


@bp.get("/pdf/<ticket>")
def invoice_pdf(ticket: str) -> Response:
    """Xero's PDF of the invoice, streamed from Xero to the rep's new tab and never stored here."""
    found = _PDF_TICKET.get(services().cache, _ticket_key(ticket[:64]))
    if found is None:
        return _pdf_problem(404, N_("This PDF link has expired. Open the invoice's actions in the panel again."))
    g.embed, invoice_id = found
    loader = _loader()
    invoice = loader.owned_invoice(invoice_id)
    if invoice is None or not is_online(invoice):
        return _pdf_problem(404, _refusal(invoice))
    try:
        pdf = loader.client().invoice_pdf(invoice.invoice_id)
    except XeroError as error:
        return _pdf_problem(502, error.user_message)
    response = Response(stream_with_context(pdf.chunks()), mimetype="application/pdf", direct_passthrough=True)
    response.call_on_close(pdf.close)
    if pdf.length is not None:
        response.content_length = pdf.length
    response.headers["Content-Disposition"] = f'inline; filename="{_file_name(invoice.invoice_number)}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


# A PDF ticket's rep, record and invoice, as MessagePack in the shared cache (never a pickle).
_PDF_TICKET: Typed[tuple[EmbedContext, str]] = Typed(tuple[EmbedContext, str])


def _ticket_key(ticket: str) -> str:
    return "pdf-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def _file_name(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-.")[:60] or "invoice"


def _pdf_problem(status: int, message: str) -> Response:
    return Response(render_template("panel/pdf_problem.html", message=message), status=status, mimetype="text/html")
