"""HubSpot's routes: the app card's data (`POST /hosts/hubspot/card`), a fresh signed link into the full panel or the
admin page for HubSpot's iframe modal (`POST /hosts/hubspot/launch`), and OAuth install.

Both POSTs come through `hubspot.fetch`, so HubSpot signs them (v3, plugin/hosts/hubspot.py); the portal, user and
record come from the signed request only. The user's role comes from HubSpot's users API (super admin = admin), the
record's email and company from HubSpot's CRM API with the portal's own OAuth token, so another portal's record id
finds nothing. The modal's URL is not signed by HubSpot: it is ours, `/panel?launch=` or `/admin?launch=` with a
single-use, one-minute hand-over token (plugin.embed.session.issue_handover), minted at the click.
Every refusal is JSON with a plain-words `message` the card shows; none is a 500.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from plugin.domain.text import N_
from plugin.embed.context import EmbedContext, RecordRef
from plugin.embed.headers import add_frame_origins, top_level_only
from plugin.embed.session import issue_handover
from plugin.hosts import hubspot
from plugin.hosts.host_access import cached
from plugin.hosts.hubspot import CardRequest, HubSpotRefused
from plugin.hosts.hubspot_access import (
    RECORD_CACHE_SECONDS,
    NotInstalled,
    api_for,
    oauth,
    store_install,
    user_of,
)
from plugin.hosts.hubspot_api import HubSpotAccessRefused, HubSpotAPI, HubSpotError, HubSpotGrantRefused
from plugin.hosts.hubspot_card import card_data, card_labels
from plugin.services import services
from plugin.storage import TokenDecryptError
from plugin.web import i18n
from plugin.web.i18n import translate

log = logging.getLogger(__name__)

bp = Blueprint("hubspot", __name__, url_prefix="/hosts/hubspot")

STATE_SECONDS = 600
NOT_INSTALLED = N_("Xero invoices isn't installed for your HubSpot account. A super admin installs it from the "
                   "HubSpot Marketplace.")
ADMINS_ONLY = N_("Only HubSpot super admins can connect Xero. Ask a super admin of your HubSpot account.")
DELETED = N_("This record isn't in HubSpot any more (deleted or merged), or isn't one of your account's.")
NOT_INSTALLED_TITLE = N_("Not installed")
UNREADABLE = N_("The card's request could not be read.")
SETUP_STATES = frozenset({"not_set_up", "not_connected", "needs_reconnect"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if app.config.get("HUBSPOT_CLIENT_ID"):
        add_frame_origins(app, tuple(str(app.config.get("HUBSPOT_FRAME_ORIGINS") or "").split()))


@bp.before_request
def _enabled() -> Response | None:
    if not current_app.config.get("HUBSPOT_CLIENT_ID"):
        return Response("HubSpot is not configured on this server.", status=404, mimetype="text/plain")
    return None


# -- the app card ---------------------------------------------------------------------------------------------------


@bp.post("/card")
def card() -> tuple[Response, int]:
    """The card's JSON for the record it sits on (see plugin/hosts/hubspot_card.py for its shape)."""
    try:
        embed = _verified_context()
    except _Refusal as refusal:
        return refusal.response()
    data = card_data(embed)  # its words in the user's language (g.embed: the signed locale)
    data["labels"] = card_labels()  # the card's own fixed words, in the same language
    data["user"] = {"role": embed.user.role}
    data["record"] = {"type": embed.record.type, "id": embed.record.id, "name": embed.record.name}
    data["actions"] = {"open_panel": data["state"] in ("ok", "no_match"),
                       "connect_xero": embed.user.is_admin and data["state"] in SETUP_STATES}
    return jsonify(data), 200


@bp.post("/launch")
def launch() -> tuple[Response, int]:
    """A fresh link for HubSpot's iframe modal: the full panel (`target` panel) or, for admins, the Xero set-up."""
    try:
        embed = _verified_context()
    except _Refusal as refusal:
        return refusal.response()
    target = str(_body().get("target") or "panel")
    if target == "admin" and not embed.user.is_admin:
        return _Refusal(403, ADMINS_ONLY).response()
    endpoint = "admin.integration_page" if target == "admin" else "panel.first_load"
    public = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    return jsonify(url=public + url_for(endpoint, launch=issue_handover(embed)), target=target), 200


class _Refusal(Exception):
    def __init__(self, status: int, message: str, state: str = "refused") -> None:
        super().__init__(message)
        self.status, self.message, self.state = status, message, state

    def response(self) -> tuple[Response, int]:
        return jsonify(state=self.state, message=translate(self.message), labels=card_labels()), self.status


def _verified_context() -> EmbedContext:
    """Verify HubSpot's signature, then look the user and record up with the portal's own access."""
    raw = request.get_data(cache=True)
    try:
        hubspot.verify_signature(
            secret=str(current_app.config.get("HUBSPOT_CLIENT_SECRET") or ""), method=request.method,
            uri=signed_uri(), body=raw, signature=request.headers.get(hubspot.SIGNATURE_HEADER),
            timestamp=request.headers.get(hubspot.TIMESTAMP_HEADER), now=services().clock.now())
        card_request = hubspot.read_card_request(request.args, _body(),
                                                 app_id=str(current_app.config.get("HUBSPOT_APP_ID") or ""))
        i18n.use_verified_locale(card_request.locale)  # refusals from here on speak the user's language
        api = api_for(card_request.account_id)
        user = user_of(card_request.account_id, card_request.user_id, api)
        if user is None:
            raise HubSpotRefused(403, N_("HubSpot doesn't know this user in your account any more."))
        embed = hubspot.context_for(card_request, user, _record(card_request, api),
                                    jti=secrets.token_urlsafe(16), now=services().clock.now())
    except HubSpotRefused as refused:
        raise _Refusal(refused.status, refused.message) from None
    except NotInstalled:
        raise _Refusal(403, NOT_INSTALLED, "not_installed") from None
    except HubSpotAccessRefused as error:
        raise _Refusal(403, error.user_message, "not_installed") from None
    except HubSpotError as error:
        log.warning("hubspot: %s", error)
        raise _Refusal(503, error.user_message, "unavailable") from None
    except TokenDecryptError:
        log.error("hubspot: the stored HubSpot tokens of a portal can't be decrypted with TOKEN_KEY")
        raise _Refusal(503, N_("This app can't read its stored HubSpot access (its encryption key changed). A "
                               "super admin has to install the app again."), "unavailable") from None
    g.embed = embed  # the card's words in the locale HubSpot signed for the user (plugin/web/i18n.py)
    return embed


def signed_uri() -> str:
    """The URL HubSpot requested: our public origin (HubSpot calls PUBLIC_URL), the path and the raw query."""
    query = request.query_string.decode("latin-1")
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + request.path + (f"?{query}" if query else "")


def _body() -> dict[str, Any]:
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        raise _Refusal(400, UNREADABLE) from None
    if not isinstance(body, dict):
        raise _Refusal(400, UNREADABLE)
    return body


def _record(card_request: CardRequest, api: HubSpotAPI) -> RecordRef:
    """The record, read with this portal's own token: another portal's id is not found."""
    key = f"hubspot-record:{card_request.account_id}:{card_request.object_type_id}:{card_request.object_id}"

    def load() -> RecordRef | None:
        read = {"0-1": api.contact, "0-2": api.company, "0-3": api.deal}[card_request.object_type_id]
        found = read(card_request.object_id)
        return hubspot.record_ref(found) if found else None

    record = cached(key, RECORD_CACHE_SECONDS, load, RecordRef)
    if record is None:
        raise HubSpotRefused(404, DELETED)
    return record


# -- OAuth: install ------------------------------------------------------------------------------------------------


@bp.get("/install")
@top_level_only
def install() -> Response:
    state = secrets.token_urlsafe(24)
    services().cache.set(_state_key(state), 1, timeout=STATE_SECONDS)
    response = Response(status=303)
    response.headers["Location"] = oauth().authorize_url(state)
    return response


@bp.get("/oauth/callback")
@top_level_only
def oauth_callback() -> tuple[str, int] | str:
    args = request.args
    if args.get("error"):
        return _page(NOT_INSTALLED_TITLE, N_("The installation was cancelled in HubSpot. Nothing was stored.")), 400
    state, code = args.get("state", ""), args.get("code", "")
    if not state or not services().cache.delete(_state_key(state)) or not code:
        return _page(NOT_INSTALLED_TITLE, N_("This installation link has expired or was already used. Start the "
                                             "installation again.")), 400
    client = oauth()
    try:
        tokens = client.exchange(code)
        portal_id, user_id = client.token_info(tokens.access_token)
    except HubSpotGrantRefused:
        return _page(NOT_INSTALLED_TITLE, N_("HubSpot refused the installation code. Start the installation "
                                             "again.")), 400
    except HubSpotError as error:
        log.warning("hubspot install: %s", error)
        return _page(NOT_INSTALLED_TITLE, error.user_message), 503
    store_install(hubspot.account_id(portal_id), tokens, installed_by=user_id)
    return _page(N_("Xero invoices is installed"),
                 N_("Go back to HubSpot. The Xero invoices card is on contact, company and deal records; a super "
                    "admin connects Xero from the card's Set up Xero button."))


def _state_key(state: str) -> str:
    return "hubspot-oauth-state:" + hashlib.sha256(state.encode()).hexdigest()


def _page(title: str, message: str) -> str:
    return render_template("hosts/pipedrive/top_level.html", title=title, message=message, link="")
