"""Known answers for Xero's webhook signature: x-xero-signature = base64(HMAC-SHA256(webhook key, raw body)).

The expected values do not come from the code under test. One is RFC 4231's test case 2 for HMAC-SHA256
(key "Jefe"), whose published digest is written here in hex and base64-encoded by the test; the other is a
Xero "Intent to Receive" body under a fixed key, pinned as a literal (computed with `openssl dgst -sha256
-hmac KEY -binary | base64`) and recomputed here with hmac/hashlib. Both the panel's verifier
(plugin.webhooks.views.signature_ok) and the emulator's signer (devkit.emulator.webhooks) are held to them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from flask import Flask, request

from devkit.emulator import create_emulator, emulator_state
from devkit.emulator import webhooks as emulator_webhooks
from devkit.serving import serve_in_thread
from plugin.domain.clock import FixedClock
from plugin.webhooks.views import SIGNATURE_HEADER, signature_ok

RFC4231_CASE_2 = ("Jefe", b"what do ya want for nothing?",
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
ITR_KEY = "fixed-webhook-key-for-the-known-answer-test"
ITR_BODY = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'
ITR_SIGNATURE = "Pr1A8ksFW5sIX3J56QolRGrZAdCvLHvP08UfGS3A+BI="


def _rfc_vector() -> tuple[str, bytes, str]:
    key, body, hex_digest = RFC4231_CASE_2
    return key, body, base64.b64encode(bytes.fromhex(hex_digest)).decode()


def _independent(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


KNOWN = [pytest.param(*_rfc_vector(), id="rfc4231-case-2"), pytest.param(ITR_KEY, ITR_BODY, ITR_SIGNATURE, id="itr")]


def test_the_known_answers_are_what_xeros_algorithm_gives():
    key, body, expected = _rfc_vector()
    assert expected == "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    assert _independent(body, key) == expected
    assert _independent(ITR_BODY, ITR_KEY) == ITR_SIGNATURE


@pytest.mark.parametrize(("key", "body", "expected"), KNOWN)
def test_the_panel_accepts_exactly_the_known_signature(key, body, expected):
    assert signature_ok(body, expected, key)
    assert not signature_ok(body + b" ", expected, key), "a changed body must not pass"
    assert not signature_ok(body, expected, key + "x"), "another key must not pass"
    assert not signature_ok(body, expected.rstrip("="), key), "the base64 padding is part of the value"
    assert not signature_ok(body, hashlib.sha256(body).hexdigest(), key), "hex is not Xero's encoding"
    assert not signature_ok(body, None, key) and not signature_ok(body, "", key)


@pytest.mark.parametrize(("key", "body", "expected"), KNOWN)
def test_the_emulator_signs_with_the_known_signature(key, body, expected):
    assert emulator_webhooks.signature(body, key) == expected
    assert emulator_webhooks.SIGNATURE_HEADER == SIGNATURE_HEADER == "x-xero-signature"


def test_a_delivery_from_the_emulator_carries_the_signature_of_its_raw_body():
    received: list[tuple[bytes, str]] = []
    receiver = Flask("receiver")

    @receiver.post("/hook")
    def hook():
        received.append((request.get_data(), request.headers.get("X-Xero-Signature", "")))
        return ""

    server = serve_in_thread(receiver)
    try:
        state = emulator_state(create_emulator(seed=1, clock=FixedClock.at("2026-03-01T09:00:00+00:00"),
                                               webhook_url=f"{server.url}/hook", webhook_key=ITR_KEY))
        invoice = next(i for data in state.orgs.values() for i in data.invoices.values()
                       if i.status == "AUTHORISED" and not i.payments)
        state.add_payment(invoice.invoice_id, "1.00")
    finally:
        server.stop()

    [(body, signature)] = received
    assert signature == _independent(body, ITR_KEY)
    assert signature_ok(body, signature, ITR_KEY)
