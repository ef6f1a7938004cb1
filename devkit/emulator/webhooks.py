"""Xero-style webhook deliveries for data changed through the controls, carrying ids only, as Xero's do.

Signed as Xero documents it: the `x-xero-signature` header is the base64 encoding of the HMAC-SHA256 of
the raw request body, keyed with the app's webhook key (both as UTF-8 bytes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from devkit.emulator.state import EmulatorState

SIGNATURE_HEADER = "x-xero-signature"
DELIVERY_TIMEOUT = 5.0


def signature(body: bytes, key: str) -> str:
    """The `x-xero-signature` value for `body` under the webhook key `key`."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def event_payload(state: EmulatorState, category: str, tenant_id: str, resource_id: str,
                  event_type: str = "UPDATE") -> dict[str, Any]:
    path = {"INVOICE": "Invoices", "CONTACT": "Contacts"}[category]
    return {
        "events": [{
            "resourceUrl": f"{state.base_url}/api.xro/2.0/{path}/{resource_id}", "resourceId": resource_id,
            "eventDateUtc": state.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3], "eventType": event_type,
            "eventCategory": category, "tenantId": tenant_id, "tenantType": "ORGANISATION",
        }],
        "firstEventSequence": 1, "lastEventSequence": 1, "entropy": secrets.token_hex(10).upper(),
    }


def deliver_event(state: EmulatorState, category: str, tenant_id: str, resource_id: str,
                  event_type: str = "UPDATE") -> dict[str, Any]:
    """POST one signed event (CREATE or UPDATE) to the configured URL; returns what happened (kept in
    state.webhook_deliveries)."""
    assert state.webhook is not None
    body = json.dumps(event_payload(state, category, tenant_id, resource_id, event_type)).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(body, state.webhook.key)}
    sent = {"resource_id": resource_id, "event_type": event_type}
    try:
        answer = requests.post(state.webhook.url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
    except requests.RequestException as exc:
        return {**sent, "status": None, "error": str(exc)}
    return {**sent, "status": answer.status_code}
