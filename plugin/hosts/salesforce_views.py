"""Salesforce Canvas's route: `POST /hosts/salesforce/canvas`, where Canvas posts its `signed_request`.

Hand-over: verify the signed request (plugin/hosts/salesforce.py), ask Salesforce's REST API with the envelope's own
OAuth token whether the user holds the admin permission set and what the record is (salesforce_api.py), map them
to the internal context, and redirect (303, so the frame GETs it) to `/panel?launch=...`, or `/admin?launch=...`
for the settings surface, with a single-use token of ours (plugin.embed.session.issue_handover). The envelope
itself is never accepted again. Every refusal is a plain page in the frame saying why; none is a 500.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from plugin.domain.text import N_
from plugin.embed.context import RecordRef
from plugin.embed.headers import add_frame_origins
from plugin.embed.session import issue_handover
from plugin.hosts import salesforce
from plugin.hosts.salesforce import CanvasRequest, SalesforceRefused
from plugin.hosts.salesforce_api import DEFAULT_API_VERSION, SalesforceAPI, SalesforceError
from plugin.services import services

log = logging.getLogger(__name__)

bp = Blueprint("salesforce", __name__, url_prefix="/hosts/salesforce")

ADMINS_ONLY = N_("Only Salesforce users with the Xero Invoices Admin permission set can connect Xero. Ask your "
                 "Salesforce admin to assign it, or to connect Xero.")
NOT_FOUND = {
    "Contact": N_("This contact isn't in Salesforce any more (deleted or merged), or you can't see it."),
    "Account": N_("This account isn't in Salesforce any more (deleted or merged), or you can't see it."),
    "Opportunity": N_("This opportunity isn't in Salesforce any more (deleted), or you can't see it."),
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if app.config.get("SALESFORCE_CONSUMER_SECRET"):
        add_frame_origins(app, tuple(str(app.config.get("SALESFORCE_FRAME_ORIGINS") or "").split()))


@bp.before_request
def _enabled() -> Response | None:
    if not current_app.config.get("SALESFORCE_CONSUMER_SECRET"):
        return Response("Salesforce is not configured on this server.", status=404, mimetype="text/plain")
    return None


@bp.get("/canvas")
def canvas_get() -> Response:
    """Opened directly (a bookmark, a GET canvas): Canvas's signed request comes only by POST."""
    return _refusal(400, N_("This page opens only inside Salesforce: the canvas app's access method must be "
                            "Signed Request (POST)."))


@bp.post("/canvas")
def canvas() -> Response:
    config = current_app.config
    try:
        envelope = salesforce.verify_signed_request(request.form.get("signed_request", ""),
                                                    secret=str(config["SALESFORCE_CONSUMER_SECRET"]))
        canvas_request = salesforce.read_canvas_request(envelope)
        if not salesforce.instance_url_allowed(canvas_request.client.instance_url,
                                               str(config.get("SALESFORCE_API_ORIGINS") or "")):
            log.warning("salesforce: refused an instanceUrl outside SALESFORCE_API_ORIGINS for %s",
                        canvas_request.account_id)
            raise SalesforceRefused(403, N_("This Salesforce org's API address is not one this app calls "
                                       "(SALESFORCE_API_ORIGINS)."))
        api = _api(canvas_request)
        is_admin = api.has_permission_set(canvas_request.user.id, str(config["SALESFORCE_ADMIN_PERMISSION_SET"]))
        if canvas_request.view == "settings" and not is_admin:
            raise SalesforceRefused(403, ADMINS_ONLY)
        record = _record(canvas_request, api) if canvas_request.view == "panel" else None
        context = salesforce.context_for(canvas_request, record, is_admin=is_admin, jti=secrets.token_urlsafe(16),
                                         now=services().clock.now())
    except SalesforceRefused as refused:
        return _refusal(refused.status, refused.message)
    except SalesforceError as error:
        log.warning("salesforce: %s", error)
        return _refusal(error.status, error.user_message)
    target = "panel.first_load" if canvas_request.view == "panel" else "admin.integration_page"
    return redirect(url_for(target, launch=issue_handover(context)), code=303)


def _api(canvas_request: CanvasRequest) -> SalesforceAPI:
    config = current_app.config
    return SalesforceAPI(client=canvas_request.client, http=services().crm_http,
                         version=str(config.get("SALESFORCE_API_VERSION") or DEFAULT_API_VERSION),
                         timeout=float(config.get("SALESFORCE_TIMEOUT", 10)))


def _record(canvas_request: CanvasRequest, api: SalesforceAPI) -> RecordRef:
    """The record, read with the user's own token: a record they can't see (or another org's id) is not found."""
    record_id = canvas_request.record_id
    record: RecordRef | None = None
    if canvas_request.object_name == "Contact":
        contact = api.contact(record_id)
        if contact is not None:
            account = api.account(contact.account_id) if contact.account_id else None
            record = salesforce.contact_record(contact, account)
    elif canvas_request.object_name == "Account":
        account = api.account(record_id)
        record = salesforce.account_record(account) if account else None
    else:
        opportunity = api.opportunity(record_id)
        if opportunity is not None:
            contact_id = api.primary_contact_id(opportunity.id) or opportunity.contact_id
            contact = api.contact(contact_id) if contact_id else None
            account = api.account(opportunity.account_id) if opportunity.account_id else None
            record = salesforce.opportunity_record(opportunity, contact, account)
    if record is None:
        raise SalesforceRefused(404, NOT_FOUND[canvas_request.object_name])
    return record


def _refusal(status: int, message: str) -> Response:
    title = N_("Not available") if status == 403 else N_("Can't open Xero invoices")
    body = render_template("hosts/salesforce/message.html", status=status, message=message, title=title)
    return Response(body, status=status, mimetype="text/html")
