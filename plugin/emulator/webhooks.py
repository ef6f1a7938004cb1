"""Xero-style webhook deliveries for data changed through the controls: signed with HMAC-SHA256 of the raw body
(header x-xero-signature, base64), carrying ids only, as Xero's do."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

import requests

from plugin.xero.webhooks import SIGNATURE_HEADER, sign

if TYPE_CHECKING:
    from plugin.emulator.state import EmulatorState

DELIVERY_TIMEOUT = 5.0


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
    state.webhook_deliveries). Signed the way the app checks it: plugin.webhooks.views.sign."""
    assert state.webhook is not None
    body = json.dumps(event_payload(state, category, tenant_id, resource_id, event_type)).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, state.webhook.key)}
    sent = {"resource_id": resource_id, "event_type": event_type}
    try:
        answer = requests.post(state.webhook.url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
    except requests.RequestException as exc:
        return {**sent, "status": None, "error": str(exc)}
    return {**sent, "status": answer.status_code}
