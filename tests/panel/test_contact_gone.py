"""A record matched to a Xero contact is matched again on the view where Xero shows that contact is gone:
archived (no longer in the organisation's customer directory, which a CONTACT webhook refreshes at once) or a 404
when its invoices are fetched. It used to stay matched for up to an hour."""

from __future__ import annotations

import json

from plugin.xero.webhooks import sign
from tests.panel.conftest import contact_record, text_of
from tests.panel.test_views import rows_of

WEBHOOK_KEY = "contact-gone-webhook-key"


def contact_webhook(panel, tenant_id: str, contact_id: str):
    body = json.dumps({"events": [{"resourceUrl": "x", "resourceId": contact_id, "eventDateUtc": "2026-03-01T09:00:00",
                                   "eventType": "UPDATE", "eventCategory": "CONTACT", "tenantId": tenant_id,
                                   "tenantType": "ORGANISATION"}], "firstEventSequence": 1,
                       "lastEventSequence": 1, "entropy": contact_id}).encode()
    answer = panel.client.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(body, WEBHOOK_KEY)})
    assert answer.status_code == 200


def test_an_archived_contact_is_no_longer_shown_on_the_next_view(panel, emulator, connected, customer):
    panel.app.config["WEBHOOK_KEY"] = WEBHOOK_KEY
    first = panel.open(contact_record(customer))
    assert "Matched by the contact's email" in text_of(first)
    with emulator.state.lock:  # archived in Xero: its UpdatedDateUTC moves, so If-Modified-Since lists it
        contact = emulator.state.orgs[connected["tenant_id"]].contacts[customer["contact_id"].lower()]
        contact.status, contact.updated = "ARCHIVED", emulator.state.now()
    contact_webhook(panel, connected["tenant_id"], customer["contact_id"])  # Xero says the contact changed

    page = text_of(panel.get("/panel/invoices", view="unpaid", fresh="1"))
    assert "We couldn't tell which Xero customer this is." in page
    assert "Matched by the contact's email" not in page


def test_a_404_for_the_contact_drops_the_match_and_matches_again_on_that_view(panel, emulator, connected, customer,
                                                                              clock):
    panel.open(contact_record(customer))
    clock.advance(120)  # the cached invoices are past their 60 s
    emulator.state.fail_next(1, "notfound")
    response = panel.get("/panel/invoices", view="unpaid", fresh="1")
    page = text_of(response)
    assert "Matched by the contact's email" in page and rows_of(response), "matched again and shown, not an error"
    assert "state--xero_error" not in page and "state--unavailable" not in page
