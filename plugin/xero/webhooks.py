"""Xero webhooks on the wire: the signature Xero puts on a delivery and the events inside it.

Xero signs every delivery with base64(HMAC-SHA256(webhook key, raw body)) in `x-xero-signature`.
Events carry only ids: which organisation, which kind of record, which record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "x-xero-signature"
MAX_EVENTS = 1000


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
    except RecursionError as error:  # nested deeper than the parser goes: not a Xero payload
        raise BadPayload("body is nested too deeply") from error
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


