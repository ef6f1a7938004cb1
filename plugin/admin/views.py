"""The admin flow: connect to Xero, choose the organisation, save, diagnose, remove.

Two kinds of routes:
- inside the CRM's iframe (`/admin` and its htmx partials): the CRM context on first load, then the
  X-Panel-Session header on every follow-up; admins only. Every POST needs that header (CSRF-proof).
- in the sign-in window (`/admin/connect/start`, `/admin/oauth/callback`): a top-level window with
  neither header nor usable cookies. It is identified by a one-time ticket (see tickets.py), and
  the callback by the OAuth state it gets back (see oauth_state.py). Opening the start link only shows
  which CRM account and admin it connects; the window goes to Xero when the admin presses Continue (a POST
  that uses the ticket up), so a link passed to someone else does not land them on Xero's consent. Continue also
  sets a first-party cookie on the window (its hash is kept with the pending sign-in) that the callback
  requires, so Xero's authorize URL forwarded to someone else connects nothing. It only ever
  redirects to the
  configured Xero authorize URL, never to a URL taken from the request. plugin.embed.headers gives these
  pages, like every /admin page, Referrer-Policy: no-referrer and Cache-Control: no-store, and, being
  top-level windows, `frame-ancestors 'none'` instead of the CRM origins (`top_level_only`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from jinja2 import pass_context
from jinja2.runtime import Context
from werkzeug.wrappers import Response

from plugin.admin import service
from plugin.admin.oauth_state import SIGN_IN_TTL
from plugin.admin.service import AdminActionRefused, IntegrationState, IntegrationStatus, SignInRefused
from plugin.admin.tickets import TicketRefused, check_ticket, issue_ticket, redeem_ticket
from plugin.domain.text import N_
from plugin.embed.headers import top_level_only
from plugin.embed.session import require_admin, require_embed_context, require_panel_session
from plugin.services import services
from plugin.web import formatting

bp = Blueprint("admin", __name__, url_prefix="/admin")

SIGN_IN_COOKIE = "xero_panel_sign_in"
OAUTH_COOKIE_PATH = "/admin/oauth"

WAITING_POLL_SECONDS = 3


# -- inside the CRM iframe ------------------------------------------------------------------------------------------


@bp.get("")
@require_embed_context
@require_admin
def integration_page() -> str:
    """Admin Settings > Apps & Integrations > Xero."""
    services().database.installations.get_or_create(g.embed.account_id)
    return render_template(
        "admin/page.html",
        session_token=g.panel_session,
        embed=g.embed,
        **_connection_view(service.integration_status(g.embed.account_id)),
    )


@bp.get("/status")
@require_panel_session
@require_admin
def status() -> str:
    """The connection section alone: polled while a sign-in is under way, and refreshed when the window says so."""
    current = service.integration_status(g.embed.account_id)
    started = _float_arg("started")
    signing_in = started is not None and current.state in (
        IntegrationState.NOT_CONNECTED,
        IntegrationState.NEEDS_RECONNECT,
    )
    if signing_in and services().clock.now().timestamp() - started < SIGN_IN_TTL:
        return _render_connection(current, waiting_since=started)
    message = N_("The Xero sign-in took too long. Press Connect to try again.") if signing_in else ""
    return _render_connection(current, message=message)


@bp.post("/connect/ticket")
@require_panel_session
@require_admin
def connect_ticket() -> str:
    """Mint the one-time ticket the sign-in window opens with, and show the waiting state: the settings page's,
    or, with `?surface=panel` (Reconnect in an admin's invoice panel, same session header), the panel's."""
    ticket = issue_ticket(
        account_id=g.embed.account_id,
        user_id=g.embed.user.id,
        user_email=g.embed.user.email,
        user_name=g.embed.user.name,
        secret=current_app.config["SECRET_KEY"],
        clock=services().clock,
    )
    sign_in_url = url_for("admin.connect_start", ticket=ticket)
    if request.args.get("surface") == "panel":
        return render_template("panel/_reconnect.html", sign_in_url=sign_in_url)
    return _render_connection(
        service.integration_status(g.embed.account_id),
        waiting_since=services().clock.now().timestamp(),
        sign_in_url=sign_in_url,
    )


@bp.get("/organisations")
@require_panel_session
@require_admin
def organisations() -> str:
    """The organisation picker, read live from Xero (only when asked for: it costs a call)."""
    current = service.integration_status(g.embed.account_id)
    try:
        choices = service.organisations(g.embed.account_id)
    except AdminActionRefused as refused:
        return render_template("admin/_organisations.html", choices=[], current=current, message=str(refused))
    return render_template("admin/_organisations.html", choices=choices, current=current, message="")


@bp.post("/organisation")
@require_panel_session
@require_admin
def choose_organisation() -> str:
    return _act(lambda account: service.choose_organisation(account, request.form.get("tenant_id", "")),
                done=N_("Organisation changed."))


@bp.post("/save")
@require_panel_session
@require_admin
def save() -> str:
    """Save activates the organisation picked on the page: the picker's radio comes with the POST (`tenant_id`),
    so picking one and pressing Save saves that one, not the one chosen before."""
    picked = request.form.get("tenant_id", "")
    return _act(lambda account: service.save(account, picked),
                done=N_("Saved. Reps now see invoices from this organisation."))


@bp.get("/remove")
@require_panel_session
@require_admin
def remove_question() -> str:
    """The first step of Remove, asked inside the page (see admin/_remove.html); `?answer=cancel` puts the
    Remove button back, focused. Removing itself is the POST."""
    cancelled = request.args.get("answer") == "cancel"
    return render_template("admin/_remove.html", asking_remove=not cancelled, focus_remove=cancelled)


@bp.post("/remove")
@require_panel_session
@require_admin
def remove() -> str:
    result = service.remove(g.embed.account_id)
    if not result.removed:
        message = N_("There was no Xero connection to remove.")
    elif result.confirmed_by_xero:
        message = N_("Xero is disconnected and its tokens are deleted here. Reps now see that Xero isn't connected.")
    else:
        message = (
            N_("The connection is removed here and its tokens are deleted, but Xero did not confirm. "
            "To finish, remove the app in Xero under Settings > Connected apps.")
        )
    return _render_connection(service.integration_status(g.embed.account_id), message=message)


@bp.get("/diagnostics")
@require_panel_session
@require_admin
def diagnostics() -> str:
    return render_template(
        "admin/_diagnostics.html", report=service.diagnostics(g.embed.account_id), states=IntegrationState,
        **_user_settings(),
    )


# -- in the sign-in window ------------------------------------------------------------------------------------------


@bp.get("/connect/start")
@top_level_only
def connect_start() -> Response:
    """Check the ticket without using it up and ask, in plain words, whether to connect this CRM account."""
    ticket_text = request.args.get("ticket", "")
    try:
        ticket = check_ticket(ticket_text, secret=current_app.config["SECRET_KEY"], clock=services().clock)
    except TicketRefused as refused:
        return _sign_in_window_page(ok=False, message=str(refused), status=400)
    body = render_template("admin/connect_confirm.html", ticket=ticket, ticket_text=ticket_text)
    return Response(body, status=200, mimetype="text/html")


@bp.post("/connect/start")
@top_level_only
def connect_continue() -> Response:
    """Continue to Xero: refuse a form posted from another site, redeem the ticket once, and send this
    window to Xero's sign-in (the configured URL, nothing else)."""
    if _posted_from_another_site():
        return _sign_in_window_page(ok=False, message=_OTHER_SITE, status=400)
    try:
        ticket = redeem_ticket(
            request.form.get("ticket", ""), secret=current_app.config["SECRET_KEY"], clock=services().clock
        )
    except TicketRefused as refused:
        return _sign_in_window_page(ok=False, message=str(refused), status=400)
    browser_secret = secrets.token_urlsafe(32)
    try:
        authorize_url = service.begin_sign_in(ticket, browser_hash=_hashed(browser_secret))
    except SignInRefused as refused:
        return _sign_in_window_page(ok=False, message=str(refused), status=503)
    response = redirect(authorize_url, code=303)
    # Binds the sign-in to this window's browser: the callback is refused without it, so an authorize link
    # forwarded to someone else connects nothing. First-party (the window is a top-level page of ours), so no
    # browser blocks it; Lax so it comes back on Xero's top-level redirect; HttpOnly; Secure on https.
    response.set_cookie(SIGN_IN_COOKIE, browser_secret, max_age=SIGN_IN_TTL, path=OAUTH_COOKIE_PATH, httponly=True,
                        secure=service.public_origin().startswith("https:"), samesite="Lax")
    return response


_OTHER_SITE = (N_("This sign-in was started from another website, so it was stopped. "
               "Go back to the Xero settings page in the CRM and press Connect again."))


def _posted_from_another_site() -> bool:
    """A page elsewhere could post the ticket it holds straight here and skip the question. Browsers say
    where a form came from: Sec-Fetch-Site, and Origin (which is "null" from our own page, whose
    Referrer-Policy is no-referrer). Clients that send neither (older browsers, test drivers) pass."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site != "same-origin":
        return True
    origin = request.headers.get("Origin")
    return origin not in (None, "null", request.host_url.rstrip("/"), service.public_origin())


@bp.get("/oauth/callback")
@top_level_only
def oauth_callback() -> Response:
    """Xero sends the window back here. Refused unless the state is one we issued and have not seen back."""
    browser_secret = request.cookies.get(SIGN_IN_COOKIE, "")
    try:
        result = service.finish_sign_in(
            state=request.args.get("state", ""),
            code=request.args.get("code", ""),
            error=request.args.get("error", ""),
            browser_hash=_hashed(browser_secret) if browser_secret else "",
        )
        response = _sign_in_window_page(ok=True, result=result, status=200)
    except SignInRefused as refused:
        response = _sign_in_window_page(ok=False, message=str(refused), status=400)
    if browser_secret:
        response.delete_cookie(SIGN_IN_COOKIE, path=OAUTH_COOKIE_PATH, httponly=True,
                               secure=service.public_origin().startswith("https:"), samesite="Lax")
    return response


def _hashed(browser_secret: str) -> str:
    return hashlib.sha256(browser_secret.encode()).hexdigest()


# -- helpers --------------------------------------------------------------------------------------------------------


def _act(action, *, done: str) -> str:
    """Run an admin action on the caller's account and re-render the connection section with plain words."""
    try:
        current = action(g.embed.account_id)
    except AdminActionRefused as refused:
        return _render_connection(service.integration_status(g.embed.account_id), message=str(refused), error=True)
    return _render_connection(current, message=done)


def _render_connection(current: IntegrationStatus, **options) -> str:
    return render_template("admin/_connection.html", **_connection_view(current, **options))


def _connection_view(current: IntegrationStatus, *, message: str = "", error: bool = False,
                     waiting_since: float | None = None, sign_in_url: str = "") -> dict:
    return {
        "status": current,
        "states": IntegrationState,
        "message": message,
        "message_is_error": error,
        "waiting_since": waiting_since,
        "sign_in_url": sign_in_url,
        "poll_seconds": WAITING_POLL_SECONDS,
        "now": services().clock.now(),
        **_user_settings(),
    }


def _user_settings() -> dict[str, str]:
    """The admin's locale and time zone, for the formatting filters (absent in the sign-in window)."""
    embed = g.get("embed")
    return {"locale": embed.user.locale, "timezone": embed.user.timezone} if embed else {}


def _sign_in_window_page(*, ok: bool, status: int, message: str = "", result=None) -> Response:
    body = render_template(
        "admin/sign_in_done.html", ok=ok, message=message, result=result, target_origin=service.public_origin()
    )
    return Response(body, status=status, mimetype="text/html")


def _float_arg(name: str) -> float | None:
    try:
        return float(request.args[name])
    except (KeyError, ValueError):
        return None


@bp.app_template_filter("admin_when")
@pass_context
def admin_when(context: Context, instant: datetime | None) -> str:
    """An instant as the admin's own date and wall-clock time, e.g. "1 Mar 2026, 10:00 pm"."""
    if instant is None:
        return "never"
    locale, zone = context.get("locale"), context.get("timezone")
    local_day = instant.astimezone(formatting.user_timezone(zone)).date()
    return f"{formatting.day(local_day, locale)}, {formatting.clock_time(instant, zone, locale)}"
