"""Pipedrive's routes: the custom UI panel and app settings (verify, map, hand over), the session renewal through
the SDK's GET_SIGNED_TOKEN, Marketplace OAuth install, and the uninstall callback.

Hand-over: the panel and settings routes verify Pipedrive's request (plugin/hosts/pipedrive.py), look the user and
the record up through the company's own Pipedrive API access, map them to the internal context, and redirect to
`/panel?launch=...` or `/admin?launch=...` with a single-use token of ours (plugin.embed.session.issue_handover).
The frame's `id` and `theme` ride along in that URL for the page's SDK. Every refusal is a page in plain words
that still initialises the SDK, because Pipedrive hides a frame that does not; none is a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from plugin.domain.text import N_
from plugin.embed.context import ContextError, RecordRef
from plugin.embed.headers import add_frame_origins, top_level_only
from plugin.embed.session import RENEWED_HEADER, SESSION_HEADER, issue_handover, renew_for_host
from plugin.hosts import pipedrive
from plugin.hosts.pipedrive import FrameRequest, PipedriveRefused
from plugin.hosts.pipedrive_access import (
    RECORD_CACHE_SECONDS,
    NotInstalled,
    api_for,
    cached,
    http,
    oauth,
    store_install,
    user_of,
)
from plugin.hosts.pipedrive_api import PipedriveAccessRefused, PipedriveAPI, PipedriveError, PipedriveGrantRefused
from plugin.services import services
from plugin.storage import TokenDecryptError
from plugin.xero.errors import XeroError

log = logging.getLogger(__name__)

bp = Blueprint("pipedrive", __name__, url_prefix="/hosts/pipedrive")

STATE_SECONDS = 600
NOT_INSTALLED = N_("Xero invoices isn't installed for your Pipedrive company. A Pipedrive admin installs it from the "
                   "Pipedrive Marketplace (Tools and apps > Marketplace).")
ADMINS_ONLY = N_("Only Pipedrive admins can connect Xero. Ask an admin of your Pipedrive company to open these "
                 "settings.")
DELETED = {
    "person": N_("This person isn't in Pipedrive any more (deleted or merged), or isn't one of your company's."),
    "organization": N_("This organization isn't in Pipedrive any more (deleted or merged), or isn't one of your "
                       "company's."),
    "deal": N_("This deal isn't in Pipedrive any more (deleted), or isn't one of your company's."),
}
NOT_INSTALLED_TITLE = N_("Not installed")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if app.config.get("PIPEDRIVE_CLIENT_ID"):
        add_frame_origins(app, tuple(str(app.config.get("PIPEDRIVE_FRAME_ORIGINS") or "").split()))


@bp.before_request
def _enabled() -> Response | None:
    if not current_app.config.get("PIPEDRIVE_CLIENT_ID"):
        return Response("Pipedrive is not configured on this server.", status=404, mimetype="text/plain")
    return None


# -- the custom UI panel and settings -------------------------------------------------------------------------------


@bp.get("/panel")
def panel() -> Response:
    """The custom UI panel on deal, person and organization details."""
    return _frame(panel=True)


@bp.get("/settings")
def settings() -> Response:
    """Pipedrive's custom UI for app settings: the same admin flow as the generic host's `/admin`."""
    return _frame(panel=False)


def _frame(*, panel: bool) -> Response:
    args = request.args
    frame = {"frame_id": args.get("id", "") if _safe_frame_id(args.get("id", "")) else "",
             "theme": "dark" if args.get("theme") == "dark" else "light"}
    try:
        request_ = pipedrive.read_frame_request(args, secret=pipedrive.jwt_secret(current_app.config),
                                                now=services().clock.now(), panel=panel)
        api = api_for(request_.identity.account_id)
        user = user_of(request_.identity, api)
        if user is None:
            raise PipedriveRefused(403, N_("Pipedrive doesn't know this user in your company any more."))
        if not panel and not user.is_admin:
            raise PipedriveRefused(403, ADMINS_ONLY)
        record = _record(request_, api) if panel else None
        context = pipedrive.context_for(request_.identity, user, record, jti=secrets.token_urlsafe(16),
                                        now=services().clock.now())
    except PipedriveRefused as refused:
        return _refusal(refused.status, refused.message, **frame)
    except NotInstalled:
        return _refusal(403, NOT_INSTALLED, **frame)
    except PipedriveAccessRefused as error:
        return _refusal(403, error.user_message, **frame)
    except PipedriveError as error:
        log.warning("pipedrive: %s", error)
        return _refusal(503, error.user_message, **frame)
    except TokenDecryptError:
        log.error("pipedrive: the stored Pipedrive tokens of a company can't be decrypted with TOKEN_KEY")
        return _refusal(503, N_("This app can't read its stored Pipedrive access (its encryption key changed). An "
                                "admin has to install the app again from the Pipedrive Marketplace."), **frame)
    target = "panel.first_load" if panel else "admin.integration_page"
    query = {"launch": issue_handover(context), "theme": request_.theme}
    if request_.frame_id:
        query["id"] = request_.frame_id
    return redirect(url_for(target, **query), code=303)


def _record(frame: FrameRequest, api: PipedriveAPI) -> RecordRef:
    """The record `selectedIds` names, read with this company's own token: another company's id is not found."""
    key = f"pipedrive-record:{frame.identity.account_id}:{frame.resource}:{frame.record_id}"
    record = cached(key, RECORD_CACHE_SECONDS, lambda: _load_record(frame, api), RecordRef)
    if record is None:
        raise PipedriveRefused(404, DELETED[frame.resource])
    return record


def _load_record(frame: FrameRequest, api: PipedriveAPI) -> RecordRef | None:
    if frame.resource == "person":
        person = api.person(frame.record_id)
        if person is None:
            return None
        return pipedrive.person_record(person, api.organization(person.org_id) if person.org_id else None)
    if frame.resource == "organization":
        organization = api.organization(frame.record_id)
        return pipedrive.organization_record(organization) if organization else None
    deal = api.deal(frame.record_id)
    if deal is None:
        return None
    person = api.person(deal.person_id) if deal.person_id else None
    organization = api.organization(deal.org_id) if deal.org_id else None
    return pipedrive.deal_record(deal, person, organization)


def _refusal(status: int, message: str, *, frame_id: str, theme: str) -> Response:
    body = render_template("hosts/pipedrive/message.html", status=status, message=message, frame_id=frame_id,
                           theme=theme, title=N_("Can't open Xero invoices") if status != 403 else N_("Not available"))
    return Response(body, status=status, mimetype="text/html")


def _safe_frame_id(value: str) -> bool:
    return bool(value) and len(value) <= 200 and all(c.isalnum() or c in "_.:-" for c in value)


# -- session renewal through GET_SIGNED_TOKEN -------------------------------------------------------------------------


@bp.post("/session")
def renew_session() -> tuple[Response, int] | Response:
    """The page sends a fresh Pipedrive token (the SDK's GET_SIGNED_TOKEN) and its panel session; a session for the
    same company and user comes back. Needs the X-Panel-Session header, which no other site can send."""
    try:
        secret = pipedrive.jwt_secret(current_app.config)
        identity = pipedrive.verify_token(request.form.get("token", ""), secret=secret, now=services().clock.now())
        renewed = renew_for_host(request.headers.get(SESSION_HEADER, ""), host=pipedrive.HOST,
                                 account_id=identity.account_id, user_id=identity.user_id)
    except (PipedriveRefused, ContextError) as refused:
        return jsonify(error=refused.message), 401
    response = jsonify(session=renewed)
    response.headers[RENEWED_HEADER] = renewed
    return response


# -- Marketplace OAuth: install ------------------------------------------------------------------------------------


@bp.get("/install")
@top_level_only
def install() -> Response:
    """Where the Marketplace's install button (or our README) sends the admin: on to Pipedrive's consent."""
    state = secrets.token_urlsafe(24)
    services().cache.set(_state_key(state), 1, timeout=STATE_SECONDS)
    return redirect(oauth().authorize_url(state), code=303)


@bp.get("/oauth/callback")
@top_level_only
def oauth_callback() -> tuple[str, int] | str:
    args = request.args
    if args.get("error"):
        return _page(NOT_INSTALLED_TITLE, N_("The installation was cancelled in Pipedrive. Nothing was stored.")), 400
    state, code = args.get("state", ""), args.get("code", "")
    if not state or not services().cache.delete(_state_key(state)) or not code:
        return _page(NOT_INSTALLED_TITLE, N_("This installation link has expired or was already used. Start the "
                                             "installation again from the Pipedrive Marketplace.")), 400
    client = oauth()
    try:
        tokens = client.exchange(code)
        installer = PipedriveAPI(
            base_url=str(current_app.config.get("PIPEDRIVE_API_URL") or "") or tokens.api_domain
            or "https://api.pipedrive.com",
            token=lambda: tokens.access_token, refreshed=lambda _rejected: tokens.access_token,
            http=http(), timeout=float(current_app.config.get("PIPEDRIVE_TIMEOUT", 10))).me_with_company()
    except PipedriveGrantRefused:
        return _page(NOT_INSTALLED_TITLE, N_("Pipedrive refused the installation code. Start the installation "
                                             "again.")), 400
    except PipedriveError as error:
        log.warning("pipedrive install: %s", error)
        return _page(NOT_INSTALLED_TITLE, error.user_message), 503
    user, company_id = installer
    store_install(pipedrive.account_id(company_id), tokens, installed_by=user.id)
    return _page(N_("Xero invoices is installed"),
                 N_("Go back to Pipedrive. An admin connects Xero under Tools and apps > Xero invoices > Settings; "
                    "then the panel shows invoices on deal, person and organization pages."), link=tokens.api_domain)


def _state_key(state: str) -> str:
    return "pipedrive-oauth-state:" + hashlib.sha256(state.encode()).hexdigest()


def _page(title: str, message: str, link: str = "") -> str:
    return render_template("hosts/pipedrive/top_level.html", title=title, message=message, link=link)


# -- uninstall --------------------------------------------------------------------------------------------------


@bp.route("/uninstall", methods=["DELETE", "POST"])
def uninstall() -> tuple[Response, int]:
    """Pipedrive's app-uninstall callback: DELETE with HTTP Basic client_id:client_secret and a JSON body naming
    the company. That company's Pipedrive tokens and its Xero connection are removed (Xero's revoked first)."""
    if not _pipedrive_basic_auth():
        return jsonify(error="unauthorized"), 401
    body = request.get_json(silent=True) or {}
    company_id = str(body.get("company_id", ""))
    if not company_id.isdigit() or str(body.get("client_id", "")) != current_app.config["PIPEDRIVE_CLIENT_ID"]:
        return jsonify(error="bad request"), 400
    account = pipedrive.account_id(company_id)
    db = services().database
    removed_tokens = db.host_tokens.remove(account)
    removed_xero = _remove_xero(account)
    log.info("pipedrive uninstall: company %s, tokens removed %s, xero removed %s", company_id, removed_tokens,
             removed_xero)
    return jsonify(ok=True), 200


def _remove_xero(account: str) -> bool:
    db = services().database
    tokens = db.connections.tokens(account)
    if tokens is not None:
        try:
            services().oauth().revoke(tokens.refresh_token)
        except XeroError as error:
            log.warning("pipedrive uninstall: Xero did not revoke the token of %s: %s", account, error)
    return db.connections.remove(account)


def _pipedrive_basic_auth() -> bool:
    config = current_app.config
    expected = base64.b64encode(f"{config['PIPEDRIVE_CLIENT_ID']}:{config['PIPEDRIVE_CLIENT_SECRET']}".encode())
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), b"Basic " + expected)


@bp.app_context_processor
def _pipedrive_page() -> dict[str, Any]:
    """For panel and admin pages opened through Pipedrive: the SDK's frame id and the user's theme."""
    embed = g.get("embed")
    if embed is None or embed.host != pipedrive.HOST:
        return {}
    frame_id = request.args.get("id", "")
    return {"pipedrive_frame": {"id": frame_id if _safe_frame_id(frame_id) else "",
                                "theme": "dark" if request.args.get("theme") == "dark" else "light",
                                "renew_url": url_for("pipedrive.renew_session")}}
