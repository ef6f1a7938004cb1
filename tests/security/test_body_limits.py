"""Every route refuses an oversized body (413; the webhook 400 with a message) whether it says its length or
streams it chunked, and nothing is truncated or acted on."""

from __future__ import annotations

import json

import pytest
import requests

from devkit.serving import serve_in_thread
from plugin.services import services
from plugin.xero.webhooks import sign
from tests.security.conftest import PanelActions, contact_record, text_of

WEBHOOK_KEY = "body-limit-tests-webhook-key"
FIVE_MB = b"x" * (5 * 1024 * 1024)


@pytest.fixture
def admin_rep(panel_app, clock, emulator, customer):
    actions = PanelActions(panel_app, clock, emulator)
    actions.open(contact_record(customer), role="admin")
    assert actions.session
    return actions


@pytest.mark.parametrize("path", ["/admin/save", "/admin/connect/ticket", "/admin/remove", "/admin/organisation"])
def test_admin_actions_refuse_a_five_megabyte_body_and_do_nothing(admin_rep, connected, path):
    response = admin_rep.client.post(path, data=FIVE_MB, content_type="application/octet-stream",
                                     headers={"X-Panel-Session": admin_rep.session, "HX-Request": "true"})
    assert response.status_code == 413
    assert "larger than this app accepts" in text_of(response)
    with admin_rep.app.app_context():
        still = services().database.connections.get("acct-1")
    assert still is not None and still.tenant_id == connected["tenant_id"] and still.is_active


@pytest.fixture
def served(panel_app):
    panel_app.config["WEBHOOK_KEY"] = WEBHOOK_KEY
    server = serve_in_thread(panel_app)
    yield server
    server.stop()


def chunked(body: bytes, size: int = 8192):
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_a_chunked_webhook_over_the_limit_is_400_with_a_message_not_cut_and_401(served):
    body = b'{"events": []' + b" " * 300_000 + b"}"
    answer = requests.post(served.url + "/webhooks/xero", data=chunked(body),
                           headers={"x-xero-signature": sign(body, WEBHOOK_KEY)}, timeout=10)
    assert answer.status_code == 400 and "larger" in answer.text


def test_a_chunked_webhook_within_the_limit_is_read_whole(served):
    body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0}).encode() + b" " * 100_000
    answer = requests.post(served.url + "/webhooks/xero", data=chunked(body),
                           headers={"x-xero-signature": sign(body, WEBHOOK_KEY)}, timeout=10)
    assert answer.status_code == 200


def test_a_chunked_panel_post_over_the_limit_is_413(served, panel_app, clock, emulator, customer):
    rep = PanelActions(panel_app, clock, emulator)
    rep.open(contact_record(customer))
    answer = requests.post(served.url + "/panel/link", data=chunked(b"contact_id=" + FIVE_MB),
                           headers={"X-Panel-Session": rep.session, "HX-Request": "true",
                                    "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert answer.status_code == 413 and "larger than this app accepts" in answer.text


def test_a_chunked_panel_post_within_the_limit_still_reads_its_form(served, panel_app, clock, emulator, customer):
    rep = PanelActions(panel_app, clock, emulator)
    rep.open(contact_record(customer))
    answer = requests.post(served.url + "/panel/link", data=chunked(b"contact_id=&view=paid"),
                           headers={"X-Panel-Session": rep.session, "HX-Request": "true",
                                    "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert answer.status_code == 200 and 'id="tab-paid" class="views__tab" aria-selected="true"' in answer.text
