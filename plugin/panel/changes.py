"""An open panel asks every few seconds whether Xero reported its data changed (plugin.runtime.changes).

`GET /panel/changed` names the organisation, contact and fetch time it shows, signed by this app so the URL
can't be aimed at other data; the answer is 204 when nothing changed and 200 with `HX-Trigger:
xero-data-changed` when something did, one or two cache reads and never a Xero call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from flask import Blueprint, Response, current_app, request, url_for

from plugin.services import services

CHANGED_EVENT = "xero-data-changed"
POLL_SECONDS = 3


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/changed", "changed", changed, methods=["GET"])
    bp.add_app_template_global(version_poll_url, "change_poll_url")
    bp.add_app_template_global(POLL_SECONDS, "change_poll_seconds")


def changed() -> Response:
    """204: nothing changed since `since`; 200 + HX-Trigger: the panel should refresh itself."""
    tenant_id, contact_id, since = (request.args.get(name, "") for name in ("tenant", "contact", "since"))
    expected = _poll_signature(tenant_id, contact_id, since).encode()
    if not hmac.compare_digest(expected, request.args.get("sig", "").encode()):  # bytes: any text is comparable
        return _plain(403, "bad signature")
    try:
        fetched_at = datetime.fromisoformat(since)
    except ValueError:
        return _plain(400, "since must be an ISO 8601 time")
    if not services().changes.changed_after(tenant_id, contact_id, fetched_at):
        return Response(status=204)
    response = Response(status=200)
    response.headers["HX-Trigger"] = CHANGED_EVENT
    return response


def version_poll_url(tenant_id: str, contact_id: str, fetched_at: datetime) -> str:
    """The URL an open panel polls (hx-get ... hx-trigger="every 3s"); call inside a request."""
    since = fetched_at.isoformat()
    query = {"tenant": tenant_id, "contact": contact_id, "since": since,
             "sig": _poll_signature(tenant_id, contact_id, since)}
    return url_for("panel.changed", **query)


def _poll_signature(tenant_id: str, contact_id: str, since: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = f"panel-changed\n{tenant_id}\n{contact_id}\n{since}".encode()
    return base64.urlsafe_b64encode(hmac.new(secret, message, hashlib.sha256).digest()[:18]).decode()


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")
