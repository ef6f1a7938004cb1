"""Xero webhooks: POST /webhooks/xero, and the change log that tells open panels their data changed.

Xero signs every delivery with base64(HMAC-SHA256(webhook key, raw body)) in `x-xero-signature`.
We answer 200 to a correctly signed delivery and 401 to any other, with an empty body and no
cookies, within milliseconds: events carry only IDs, so handling one is a couple of cache writes.

What an event changes:
- CONTACT event: that contact's cached invoices are dropped and its change time recorded, and the organisation's
  customer directory (plugin.panel.service, used to match records) is dropped.
- INVOICE event for an invoice we have cached: the same, for the contact the invoice belongs to
  (an index invoice -> contact is written whenever a contact's invoices are fetched).
- INVOICE event for an invoice we have never seen (a new invoice): we can't tell whose it is without
  asking Xero, so the organisation's change time moves and every cached contact of it counts as
  changed (still shown at once, marked, while fresh data is fetched).

An open panel polls GET /panel/changed with the time its data was fetched (signed, so the URL can't
be aimed at other data); the answer is 204 when nothing changed and 200 with `HX-Trigger:
xero-data-changed` when it did, one or two cache reads and never a Xero call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request, url_for

from plugin.cache import cache
from plugin.clock import Clock

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

SIGNATURE_HEADER = "x-xero-signature"
MAX_BODY_BYTES = 256 * 1024  # Xero batches small events; anything larger is not from Xero
MAX_EVENTS = 1000
KEEP_SECONDS = 2 * 24 * 3600  # longer than cached invoices live, so a change is never forgotten first
CHANGED_EVENT = "xero-data-changed"
POLL_SECONDS = 3


# --- signatures ---------------------------------------------------------------------------------


def sign(body: bytes, key: str) -> str:
    """What Xero puts in x-xero-signature for `body` (the emulator signs its deliveries with this)."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def signature_ok(body: bytes, signature: str | None, key: str) -> bool:
    return bool(signature) and hmac.compare_digest(sign(body, key).encode(), signature.encode())


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XeroEvent:
    tenant_id: str
    category: str  # INVOICE, CONTACT, CREDITNOTE, ... (upper case)
    event_type: str  # CREATE, UPDATE (upper case; Xero's examples also say "Update")
    resource_id: str


class BadPayload(ValueError):
    """The body is not a Xero webhook payload; the message says why."""


def parse_events(body: bytes) -> list[XeroEvent]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadPayload("body is not JSON") from error
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise BadPayload("expected an object with an 'events' list")
    if len(events) > MAX_EVENTS:
        raise BadPayload(f"more than {MAX_EVENTS} events")
    return [_event(item, index) for index, item in enumerate(events)]


def _event(item: Any, index: int) -> XeroEvent:
    if not isinstance(item, dict):
        raise BadPayload(f"events[{index}] is not an object")
    fields = {}
    for name in ("tenantId", "eventCategory", "eventType", "resourceId"):
        value = item.get(name)
        if not isinstance(value, str) or not value or len(value) > 100:
            raise BadPayload(f"events[{index}].{name} is missing or not a short string")
        fields[name] = value
    return XeroEvent(fields["tenantId"], fields["eventCategory"].upper(), fields["eventType"].upper(),
                     fields["resourceId"])


# --- the change log ---------------------------------------------------------------------------


class ChangeLog:
    """When Xero last told us a contact's (or a whole organisation's) data changed, and which contact
    each cached invoice belongs to. Lives in the shared cache, so every worker sees the same."""

    def __init__(self, store, clock: Clock, drop: Callable[[str, str], None] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.drop = drop

    def remember_invoices(self, tenant_id: str, contact_id: str, invoice_ids: Iterable[str]) -> None:
        mapping = {_invoice_key(tenant_id, invoice_id): contact_id for invoice_id in invoice_ids}
        if mapping:
            self.store.set_many(mapping, timeout=KEEP_SECONDS)

    def contact_of(self, tenant_id: str, invoice_id: str) -> str | None:
        return self.store.get(_invoice_key(tenant_id, invoice_id))

    def contact_changed(self, tenant_id: str, contact_id: str) -> None:
        self.store.set(_contact_key(tenant_id, contact_id), self.clock.now().timestamp(), timeout=KEEP_SECONDS)
        if self.drop is not None:
            self.drop(tenant_id, contact_id)

    def customers_changed(self, tenant_id: str) -> None:
        """A contact was created or changed: the organisation's customer directory is fetched again when next needed."""
        from plugin.panel.service import directory_key

        self.store.delete(directory_key(tenant_id))

    def tenant_changed(self, tenant_id: str) -> None:
        self.store.set(_tenant_key(tenant_id), self.clock.now().timestamp(), timeout=KEEP_SECONDS)

    def last_change(self, tenant_id: str, contact_id: str) -> datetime | None:
        stamps = self.store.get_many(_contact_key(tenant_id, contact_id), _tenant_key(tenant_id))
        latest = max((stamp for stamp in stamps if stamp is not None), default=None)
        return None if latest is None else datetime.fromtimestamp(latest, UTC)

    def changed_after(self, tenant_id: str, contact_id: str, instant: datetime) -> bool:
        """Did Xero report a change to this contact's data after `instant` (when its data was fetched)?"""
        last = self.last_change(tenant_id, contact_id)
        return last is not None and last > instant

    def apply(self, events: Iterable[XeroEvent]) -> None:
        for event in events:
            if event.category == "CONTACT":
                self.contact_changed(event.tenant_id, event.resource_id)
                self.customers_changed(event.tenant_id)
            elif event.category == "INVOICE":
                contact_id = self.contact_of(event.tenant_id, event.resource_id)
                if contact_id:
                    self.contact_changed(event.tenant_id, contact_id)
                else:
                    self.tenant_changed(event.tenant_id)
            elif event.category == "CREDITNOTE":  # an applied credit changes invoices we can't name
                self.tenant_changed(event.tenant_id)


def _invoice_key(tenant_id: str, invoice_id: str) -> str:
    return f"webhooks:invoice-contact:{tenant_id}:{invoice_id.lower()}"


def _contact_key(tenant_id: str, contact_id: str) -> str:
    return f"webhooks:contact-changed:{tenant_id}:{contact_id.lower()}"


def _tenant_key(tenant_id: str) -> str:
    return f"webhooks:tenant-changed:{tenant_id}"


def change_log() -> ChangeLog:
    """The app's change log (shared cache, app clock), dropping the panel's cached invoices on change."""
    services = current_app.extensions.setdefault("plugin", {})
    log_ = services.get("change_log")
    if log_ is None:
        from plugin.clock import SystemClock

        log_ = services.setdefault("change_log", ChangeLog(cache, services.get("clock") or SystemClock(), _drop_cached))
    return log_


def _drop_cached(tenant_id: str, contact_id: str) -> None:
    from plugin.panel.service import invoices_key

    cache.delete(invoices_key(tenant_id, contact_id))


# --- routes -----------------------------------------------------------------------------------


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
    change_log().apply(events)
    if events:
        log.info("xero webhook: %d events applied", len(events))
    return Response(status=200)


@bp.get("/panel/changed")
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
    if not change_log().changed_after(tenant_id, contact_id, fetched_at):
        return Response(status=204)
    response = Response(status=200)
    response.headers["HX-Trigger"] = CHANGED_EVENT
    return response


def version_poll_url(tenant_id: str, contact_id: str, fetched_at: datetime) -> str:
    """The URL an open panel polls (hx-get ... hx-trigger="every 3s"); call inside a request."""
    since = fetched_at.isoformat()
    query = {"tenant": tenant_id, "contact": contact_id, "since": since,
             "sig": _poll_signature(tenant_id, contact_id, since)}
    return url_for("webhooks.changed", **query)


def _poll_signature(tenant_id: str, contact_id: str, since: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = f"panel-changed\n{tenant_id}\n{contact_id}\n{since}".encode()
    return base64.urlsafe_b64encode(hmac.new(secret, message, hashlib.sha256).digest()[:18]).decode()


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["change_poll_url"] = version_poll_url
    app.jinja_env.globals["change_poll_seconds"] = POLL_SECONDS
