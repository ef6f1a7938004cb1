"""The emulator tells the app, through signed webhooks, when its controls change data."""

from __future__ import annotations

import pytest

from devkit.emulator import create_emulator, emulator_state
from devkit.serving import serve_in_thread
from plugin import create_app
from plugin.domain.clock import FixedClock
from plugin.services import services

KEY = "emulator-webhook-key"
TODAY = "2026-03-01T09:00:00+00:00"


@pytest.fixture
def panel(tmp_path):
    app = create_app({"TESTING": True, "CLOCK": FixedClock.at(TODAY), "WEBHOOK_KEY": KEY,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite"})
    server = serve_in_thread(app)
    yield app, server.url
    server.stop()


def open_invoice(state):
    for data in state.orgs.values():
        for invoice in data.invoices.values():
            if invoice.status == "AUTHORISED" and invoice.type == "ACCREC" and not invoice.payments:
                return data.org.tenant_id, invoice
    raise AssertionError("the seed has no open invoice")


def emulator_for(url: str, key: str = KEY):
    return emulator_state(create_emulator(seed=1, clock=FixedClock.at(TODAY), webhook_url=f"{url}/webhooks/xero",
                                          webhook_key=key))


@pytest.mark.parametrize("change", ["add_payment", "void_invoice"])
def test_a_change_through_the_controls_reaches_the_app_as_a_signed_webhook(panel, change):
    app, url = panel
    state = emulator_for(url)
    tenant_id, invoice = open_invoice(state)
    with app.app_context():
        services().changes.remember_invoices(tenant_id, invoice.contact_id, [invoice.invoice_id])
        before = services(app).clock.now()
    services(app).clock.advance(1)
    if change == "add_payment":
        state.add_payment(invoice.invoice_id, "1.00")
    else:
        state.void_invoice(invoice.invoice_id)
    assert state.webhook_deliveries[-1]["status"] == 200
    assert state.webhook_deliveries[-1]["resource_id"] == invoice.invoice_id
    assert state.webhook_deliveries[-1]["event_type"] == "UPDATE"
    with app.app_context():
        assert services().changes.changed_after(tenant_id, invoice.contact_id, before)


def test_a_created_invoice_is_delivered_too(panel):
    _app, url = panel
    state = emulator_for(url)
    tenant_id, invoice = open_invoice(state)
    new_id = state.create_invoice(tenant_id, invoice.contact_id, amount="10.00")
    assert state.webhook_deliveries[-1]["resource_id"] == new_id
    assert state.webhook_deliveries[-1]["status"] == 200
    assert state.webhook_deliveries[-1]["event_type"] == "CREATE", "a new invoice is a CREATE, as Xero sends it"


def test_the_app_refuses_deliveries_signed_with_another_key(panel):
    _app, url = panel
    state = emulator_for(url, key="not the app's key")
    _tenant_id, invoice = open_invoice(state)
    state.add_payment(invoice.invoice_id, "1.00")
    assert state.webhook_deliveries[-1]["status"] == 401
