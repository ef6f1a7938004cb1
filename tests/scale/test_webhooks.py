"""POST /webhooks/xero: signature, intent to receive, invalidation; GET /panel/changed for open panels."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from plugin import create_app
from plugin.panel.changes import version_poll_url
from plugin.services import services
from plugin.webhooks.views import MAX_BODY_BYTES
from plugin.xero.webhooks import sign

KEY = "webhook-signing-key-for-tests"
TENANT = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"
INVOICE = "33333333-3333-3333-3333-333333333333"


@pytest.fixture
def app(tmp_path, clock):
    return create_app({"TESTING": True, "CLOCK": clock, "WEBHOOK_KEY": KEY,
                       "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite"})


def payload(*events: dict) -> bytes:
    return json.dumps({"events": list(events), "firstEventSequence": 1, "lastEventSequence": len(events),
                       "entropy": "QWERTYUIOP"}).encode()


def event(category: str, resource_id: str, event_type: str = "UPDATE") -> dict:
    return {"resourceUrl": f"https://api.xero.com/api.xro/2.0/{category.title()}s/{resource_id}",
            "resourceId": resource_id, "eventDateUtc": "2026-03-01T09:00:00.000", "eventType": event_type,
            "eventCategory": category, "tenantId": TENANT, "tenantType": "ORGANISATION"}


def deliver(client, body: bytes, signature: str | None = None):
    headers = {"Content-Type": "application/json", "x-xero-signature": signature or sign(body, KEY)}
    return client.post("/webhooks/xero", data=body, headers=headers)


INTENT = payload()


def test_intent_to_receive_correctly_signed_gets_200_with_empty_body_and_no_cookies(client):
    response = deliver(client, INTENT)
    assert response.status_code == 200
    assert response.data == b""
    assert "Set-Cookie" not in response.headers


def test_intent_to_receive_wrongly_signed_gets_401_with_empty_body(client):
    response = deliver(client, INTENT, signature=sign(INTENT, "some other key"))
    assert response.status_code == 401
    assert response.data == b""
    assert "Set-Cookie" not in response.headers


def test_signature_covers_the_raw_bytes(client):
    reformatted = json.dumps(json.loads(INTENT), indent=2).encode()  # same JSON, different bytes
    assert deliver(client, reformatted, signature=sign(INTENT, KEY)).status_code == 401


def test_missing_signature_is_401(client):
    assert client.post("/webhooks/xero", data=INTENT).status_code == 401


def test_malformed_but_signed_body_is_400_with_a_message(client):
    for body in (b"{not json", b'{"events": "x"}', payload({"tenantId": TENANT})):
        response = deliver(client, body)
        assert response.status_code == 400
        assert response.data.strip()


def test_oversized_body_is_400(client):
    body = b" " * (MAX_BODY_BYTES + 1)
    response = deliver(client, body)
    assert response.status_code == 400
    assert b"larger" in response.data


def test_endpoint_is_absent_without_a_webhook_key(tmp_path, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite"})
    assert app.test_client().post("/webhooks/xero", data=INTENT).status_code == 404


def cache_invoices(tenant, contact, clock):
    """Leave a snapshot of the contact's invoices in the app's snapshot cache."""
    from plugin.runtime.invoices import InvoiceSnapshot
    from tests.panel.builders import make_invoice

    services().snapshots.put(InvoiceSnapshot(tenant, contact, (make_invoice(invoice_id=INVOICE),), clock.now()))


def test_invoice_event_drops_the_cached_data_of_its_contact(app, client, clock):
    with app.app_context():
        cache_invoices(TENANT, CONTACT, clock)
        services().changes.remember_invoices(TENANT, CONTACT, [INVOICE])
        fetched_at = clock.now()
    clock.advance(5)
    assert deliver(client, payload(event("INVOICE", INVOICE))).status_code == 200
    with app.app_context():
        assert services().snapshots.get(TENANT, CONTACT) is None
        assert services().changes.changed_after(TENANT, CONTACT, fetched_at)
        assert not services().changes.changed_after(TENANT, "another-contact", fetched_at)


def test_contact_event_drops_that_contacts_data(app, client, clock):
    with app.app_context():
        cache_invoices(TENANT, CONTACT, clock)
    deliver(client, payload(event("CONTACT", CONTACT)))
    with app.app_context():
        assert services().snapshots.get(TENANT, CONTACT) is None


def test_event_for_an_unknown_invoice_marks_the_whole_organisation_changed(app, client, clock):
    fetched_at = clock.now()
    clock.advance(5)
    deliver(client, payload(event("INVOICE", "44444444-0000-0000-0000-000000000000", "CREATE")))
    with app.app_context():
        assert services().changes.changed_after(TENANT, CONTACT, fetched_at)
        assert services().changes.changed_after(TENANT, "any-contact", fetched_at)
        assert not services().changes.changed_after("other-tenant", CONTACT, fetched_at)


def test_an_update_of_an_invoice_no_cached_contact_holds_changes_nothing(app, client, clock):
    """Every invoice of a cached contact is in the invoice index, so an update of one that isn't belongs to a
    customer nobody has cached: no sweep for it."""
    with app.app_context():
        services().changes.remember_invoices(TENANT, CONTACT, [INVOICE])
    fetched_at = clock.now()
    clock.advance(5)
    deliver(client, payload(event("INVOICE", "55555555-0000-0000-0000-000000000000", "UPDATE")))
    with app.app_context():
        assert not services().changes.changed_after(TENANT, CONTACT, fetched_at)
        assert services().changes.last_change(TENANT, "any-contact") is None


def test_event_type_and_category_are_compared_case_insensitively(app, client, clock):
    with app.app_context():
        services().changes.remember_invoices(TENANT, CONTACT, [INVOICE])
        fetched_at = clock.now()
    clock.advance(1)
    deliver(client, payload(event("Invoice", INVOICE, "Update")))
    with app.app_context():
        assert services().changes.changed_after(TENANT, CONTACT, fetched_at)


def poll(app, client, fetched_at, tenant=TENANT, contact=CONTACT):
    with app.test_request_context():
        url = version_poll_url(tenant, contact, fetched_at)
    return client.get(url)


def test_open_panel_poll_says_nothing_changed_until_a_webhook_arrives(app, client, clock):
    with app.app_context():
        services().changes.remember_invoices(TENANT, CONTACT, [INVOICE])
    fetched_at = clock.now()
    assert poll(app, client, fetched_at).status_code == 204
    clock.advance(2)
    deliver(client, payload(event("INVOICE", INVOICE)))
    changed = poll(app, client, fetched_at)
    assert changed.status_code == 200
    assert changed.headers["HX-Trigger"] == "xero-data-changed"
    clock.advance(1)
    assert poll(app, client, clock.now()).status_code == 204, "data fetched after the change is current"


def test_poll_url_cannot_be_aimed_at_other_data(app, client, clock):
    with app.test_request_context():
        url = version_poll_url(TENANT, CONTACT, clock.now())
    query = urlparse(url).query.replace(CONTACT, "55555555-5555-5555-5555-555555555555")
    assert client.get(f"/panel/changed?{query}").status_code == 403


def test_a_poll_with_a_garbled_signature_is_refused_not_an_error(app, client, clock):
    with app.test_request_context():
        url = version_poll_url(TENANT, CONTACT, clock.now())
    query = urlparse(url).query.split("&sig=")[0]
    assert client.get(f"/panel/changed?{query}&sig=%C3%A9%E2%9C%93").status_code == 403
