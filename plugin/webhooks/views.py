"""Xero webhooks: POST /webhooks/xero applies signed deliveries to the change log (plugin.runtime.changes).

Xero signs every delivery with base64(HMAC-SHA256(webhook key, raw body)) in `x-xero-signature`.
We answer 200 to a correctly signed delivery and 401 to any other, with an empty body and no
cookies, within milliseconds: events carry only ids, so handling one is a couple of cache writes.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request

from plugin.services import services
from plugin.xero.webhooks import SIGNATURE_HEADER, BadPayload, parse_events, signature_ok

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

MAX_BODY_BYTES = 256 * 1024  # Xero batches small events; anything larger is not from Xero


# --- routes -----------------------------------------------------------------------------------


@bp.errorhandler(413)
def too_large(_error: Exception) -> Response:
    """plugin.web.request_limits refuses any body over the limit before the view; Xero gets a 400 and why."""
    return _plain(400, f"payload larger than {MAX_BODY_BYTES} bytes")


@bp.post("/webhooks/xero")
def receive() -> Response:
    key = current_app.config.get("WEBHOOK_KEY")
    if not key:
        abort(404)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _plain(400, f"payload larger than {MAX_BODY_BYTES} bytes")
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY_BYTES:
        return _plain(400, f"payload larger than {MAX_BODY_BYTES} bytes")
    if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), key):
        return Response(status=401)
    try:
        events = parse_events(body)
    except BadPayload as error:
        return _plain(400, str(error))
    services().changes.apply(events)
    if events:
        log.info("xero webhook: %d events applied", len(events))
    return Response(status=200)


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")
