"""The /_emulator controls over HTTP, the deep-link stand-in, webhook deliveries and the server's banner."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac

import pytest
import requests
from flask import Flask, request

from devkit.emulator import create_emulator, emulator_state
from devkit.emulator.server import describe, run
from devkit.serving import serve_in_thread
from plugin.domain.clock import FixedClock


def _post(emulator, path, body=None):
    return requests.post(f"{emulator.url}/_emulator/{path}", json=body or {}, timeout=10)


def test_controls_list_themselves_and_the_tenants(emulator):
    listing = requests.get(f"{emulator.url}/_emulator/", timeout=10).json()
    tenants = requests.get(f"{emulator.url}/_emulator/tenants", timeout=10).json()

    assert "POST /_emulator/token" in listing
    assert [t["tenant_id"] for t in tenants] == [t["tenant_id"] for t in emulator.state.tenants]


def test_a_token_over_http_opens_the_api(emulator, studio_id):
    tokens = _post(emulator, "token", {"email": "demo@example.com"}).json()
    answer = requests.get(f"{emulator.url}/api.xro/2.0/Organisation", timeout=10,
                          headers={"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": studio_id,
                                   "Accept": "application/json"})

    assert answer.status_code == 200
    assert requests.get(f"{emulator.url}/_emulator/calls", params={"tenant_id": studio_id},
                        timeout=10).json() == {"calls": 1}


def test_faults_over_http(emulator, api, studio_id):
    _post(emulator, "fail-next", {"n": 1, "kind": "503"})
    assert api.get("Organisation").status_code == 503
    _post(emulator, "exhaust", {"tenant_id": studio_id, "which": "minute"})
    assert api.get("Organisation").status_code == 429
    _post(emulator, "reset-faults")
    assert api.get("Organisation").status_code == 200


def test_bad_control_input_is_a_400_with_a_reason(emulator):
    answer = _post(emulator, "fail-next", {"n": 1, "kind": "explode"})

    assert answer.status_code == 400 and "explode" in answer.json()["error"]


def test_data_changes_over_http_show_in_the_api_and_reset_undoes_them(emulator, api, studio_id):
    customers = requests.get(f"{emulator.url}/_emulator/customers", params={"tenant_id": studio_id}, timeout=10)
    customer = customers.json()[0]
    created = _post(emulator, "invoices", {"tenant_id": studio_id, "contact_id": customer["contact_id"],
                                           "amount": "100.00", "reference": "Demo order"}).json()["invoice_id"]
    _post(emulator, "payments", {"invoice_id": created, "amount": "40.00", "date": "2026-03-01"})
    invoice = api.get(f"Invoices/{created}").json()["Invoices"][0]
    assert (invoice["Total"], invoice["AmountPaid"], invoice["AmountDue"]) == (115.0, 40.0, 75.0)

    emulator.state.reset()
    assert api.get(f"Invoices/{created}").status_code == 404


def test_paying_in_full_marks_paid_and_voiding_voids(emulator, api, studio_id):
    open_invoice = api.get("Invoices", {"Statuses": "AUTHORISED", "where": "AmountPaid==0"}).json()["Invoices"][0]
    emulator.state.add_payment(open_invoice["InvoiceID"], str(open_invoice["AmountDue"]))
    assert api.get(f"Invoices/{open_invoice['InvoiceID']}").json()["Invoices"][0]["Status"] == "PAID"

    other = api.get("Invoices", {"Statuses": "AUTHORISED", "where": "AmountPaid==0"}).json()["Invoices"][0]
    assert _post(emulator, f"invoices/{other['InvoiceID']}/void").status_code == 200
    assert api.get(f"Invoices/{other['InvoiceID']}").json()["Invoices"][0]["Status"] == "VOIDED"


def test_registering_a_redirect_uri_lets_authorize_use_it(emulator):
    params = {"response_type": "code", "client_id": "emulator-panel-client", "redirect_uri": "http://127.0.0.1:7777/cb",
              "scope": "openid", "state": "s"}
    before = requests.get(f"{emulator.url}/identity/connect/authorize", params=params, timeout=10)
    _post(emulator, "redirect-uris", {"uri": "http://127.0.0.1:7777/cb"})
    after = requests.get(f"{emulator.url}/identity/connect/authorize", params=params, timeout=10)

    assert (before.status_code, after.status_code) == (400, 200)


def test_the_deep_link_stand_in_shows_the_invoice(emulator, api):
    invoice = api.get("Invoices", {"page": 1, "pageSize": 1}).json()["Invoices"][0]
    short_code = api.get("Organisation").json()["Organisations"][0]["ShortCode"]
    page = requests.get(f"{emulator.url}/go/organisationlogin/default.aspx", timeout=10,
                        params={"shortcode": short_code,
                                "redirecturl": f"/AccountsReceivable/View.aspx?InvoiceID={invoice['InvoiceID']}"})

    assert page.status_code == 200
    assert invoice["InvoiceNumber"] in page.text and invoice["Contact"]["Name"] in page.text


def test_the_deep_link_page_escapes_html_looking_names(emulator, api):
    invoice = api.get("Invoices", {"where": 'Reference.StartsWith("<b>")'}).json()["Invoices"][0]
    short_code = api.get("Organisation").json()["Organisations"][0]["ShortCode"]
    page = requests.get(f"{emulator.url}/go/app/{short_code}/invoicing/view/{invoice['InvoiceID']}", timeout=10)

    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_changes_are_delivered_as_signed_webhooks():
    received = []
    receiver = Flask("receiver")

    @receiver.post("/hook")
    def hook():
        received.append((request.get_data(), request.headers["x-xero-signature"]))
        return ""

    server = serve_in_thread(receiver)
    try:
        app = create_emulator(seed=1, clock=FixedClock.at("2026-03-01T09:00:00+00:00"),
                              webhook_url=f"{server.url}/hook", webhook_key="k3y")
        state = emulator_state(app)
        invoice = next(i for i in next(iter(state.orgs.values())).invoices.values()
                       if i.status == "AUTHORISED" and i.amount_paid == 0)
        state.void_invoice(invoice.invoice_id)
    finally:
        server.stop()

    body, signed = received[0]
    assert signed == base64.b64encode(hmac.new(b"k3y", body, hashlib.sha256).digest()).decode()  # Xero's algorithm
    assert invoice.invoice_id.encode() in body and state.webhook_deliveries[0]["status"] == 200


def test_the_banner_says_what_is_served_and_where_to_sign_in():
    app = create_emulator(seed=1, clock=FixedClock.at("2026-03-01T09:00:00+00:00"))
    text = describe("http://127.0.0.1:5001", app)

    assert "demo@example.com / demo" in text and "/_emulator/" in text and "Kōwhai Design Studio" in text


def test_the_server_refuses_to_bind_beyond_loopback():
    with pytest.raises(SystemExit):
        run(argparse.Namespace(host="0.0.0.0", port=0, seed=1, redirect_uri=[]))
