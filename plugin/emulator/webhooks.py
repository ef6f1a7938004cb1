"""The emulator's webhook deliveries: when a control changes data (add_payment, void_invoice,
create_invoice), POST a signed Xero-style event to the configured webhook URL, as Xero would.

Delivery is synchronous and quick (one small POST on loopback), so a test or benchmark knows that
by the time the control returns, the app has been told. Failures are recorded, never raised: Xero's
own delivery failing never undoes the change.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

import requests

from plugin.webhooks import SIGNATURE_HEADER, sign

if TYPE_CHECKING:
    from plugin.emulator.state import EmulatorState

DELIVERY_TIMEOUT = 5.0  # Xero gives a receiver 5 seconds
RESOURCE_PATHS = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}


def event_payload(state: EmulatorState, category: str, tenant_id: str, resource_id: str,
                  event_type: str = "UPDATE") -> dict[str, Any]:
    """One event in Xero's shape: IDs only, eventDateUtc without a zone, a fresh entropy string."""
    now = state.clock.now()
    return {
        "events": [{
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/{RESOURCE_PATHS.get(category, category)}/{resource_id}",
            "resourceId": resource_id,
            "eventDateUtc": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}",
            "eventType": event_type,
            "eventCategory": category,
            "tenantId": tenant_id,
            "tenantType": "ORGANISATION",
        }],
        "firstEventSequence": 1,
        "lastEventSequence": 1,
        "entropy": secrets.token_urlsafe(15),
    }


def deliver_event(state: EmulatorState, category: str, tenant_id: str, resource_id: str,
                  event_type: str = "UPDATE") -> dict[str, Any]:
    """POST one signed event to the state's webhook target; returns what happened (kept in webhook_deliveries)."""
    target = state.webhook
    record: dict[str, Any] = {"category": category, "tenant_id": tenant_id, "resource_id": resource_id,
                              "event_type": event_type, "status": None, "error": None}
    if target is None:
        record["error"] = "no webhook URL configured"
        return record
    body = json.dumps(event_payload(state, category, tenant_id, resource_id, event_type)).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, target.key)}
    try:
        response = requests.post(target.url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
        record["status"] = response.status_code
    except requests.RequestException as error:
        record["error"] = f"{type(error).__name__}: {error}"
    return record
