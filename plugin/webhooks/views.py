"""Xero webhooks: POST /webhooks/xero applies signed deliveries to the change log (plugin.runtime.changes).

Xero signs every delivery with base64(HMAC-SHA256(webhook key, raw body)) in `x-xero-signature`.
We answer 200 to a correctly signed delivery and 401 to any other, with an empty body and no
cookies, within milliseconds: events carry only ids, so handling one is a couple of cache writes. A signed body
that is not a Xero payload is a 400 with the reason. A signed delivery applied before (its SHA-256 is kept in the
single-use markers store for a day) is answered 200 and not applied again, so a replay costs no Xero calls.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Response, abort, current_app, request

from plugin.runtime import metrics
from plugin.runtime.markers import MarkersUnavailable
from plugin.services import services
from plugin.xero.webhooks import SIGNATURE_HEADER, BadPayload, parse_events, signature_ok

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

MAX_BODY_BYTES = 256 * 1024  # Xero batches small events; anything larger is not from Xero
APPLIED_TTL = 24 * 3600  # a signed delivery seen again within a day is answered 200 and not applied again


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
        metrics.webhook_delivery("too_large")
        return _plain(400, f"payload larger than {MAX_BODY_BYTES} bytes")
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY_BYTES:
        metrics.webhook_delivery("too_large")
        return _plain(400, f"payload larger than {MAX_BODY_BYTES} bytes")
    if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), key):
        metrics.webhook_delivery("bad_signature")
        return Response(status=401)
    try:
        events = parse_events(body)
    except BadPayload as error:
        metrics.webhook_delivery("bad_payload")
        return _plain(400, str(error))
    marker = "webhook-applied:" + hashlib.sha256(body).hexdigest()
    try:
        first = services().markers.claim(marker, ttl=APPLIED_TTL)
    except MarkersUnavailable:
        return _plain(503, "can't tell whether this delivery was applied already; send it again later")
    if not first:
        log.info("xero webhook: a delivery applied before was sent again; nothing to do")
        return Response(status=200)
    try:
        services().changes.apply(events)
    except Exception:
        services().markers.take(marker)  # not applied after all: Xero's retry must be applied
        raise
    metrics.webhook_delivery("applied")
    for event in events:
        metrics.webhook_event(event.category[:32], event.event_type[:32])
    if events:
        log.info("xero webhook: %d events applied", len(events))
    return Response(status=200)


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")
