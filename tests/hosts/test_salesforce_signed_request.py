"""Canvas's signed request, verified and mapped (plugin/hosts/salesforce.py). Every envelope here is signed with an
HMAC written in this file, from Canvas's documented format: `base64(HMAC-SHA256(secret, encoded envelope))`, a dot,
then `base64(JSON)`, both standard base64. Never the product's code, nor the dev kit's signer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.hosts import salesforce
from plugin.hosts.salesforce import SalesforceRefused

SECRET = "consumer-secret-0123456789abcdef"
ORG = "00D000000000001AAA"
USER = "005000000000002AAA"
CONTACT = "003000000000042AAA"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def envelope(*, parameters=None, record=None, **overrides) -> dict:
    body = {
        "algorithm": "HMACSHA256", "issuedAt": None, "userId": USER,
        "client": {"instanceUrl": "https://acme.my.salesforce.com", "oauthToken": "00D!token",
                   "targetOrigin": "https://acme.lightning.force.com"},
        "context": {
            "user": {"userId": USER, "fullName": "Sam Rep", "firstName": "Sam", "lastName": "Rep",
                     "email": "sam@acme.example", "locale": "en_NZ", "language": "en_US",
                     "timeZone": "Pacific/Auckland"},
            "organization": {"organizationId": ORG, "name": "Acme"},
            "environment": {"displayLocation": "Aura",
                            "parameters": {"recordId": CONTACT, "sObjectName": "Contact"} if parameters is None
                            else parameters,
                            "record": record or {}},
        },
    }
    body.update(overrides)
    return body


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def signed(body: dict, secret: str = SECRET) -> str:
    encoded = b64(json.dumps(body).encode())
    return b64(hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()) + "." + encoded


def refused(value: str, secret: str = SECRET) -> SalesforceRefused:
    with pytest.raises(SalesforceRefused) as caught:
        salesforce.verify_signed_request(value, secret=secret)
    return caught.value


def test_a_signed_request_verifies_and_maps_to_the_internal_context():
    body = salesforce.verify_signed_request(signed(envelope()), secret=SECRET)
    request = salesforce.read_canvas_request(body)
    assert request.account_id == f"salesforce:{ORG}"
    assert (request.object_name, request.record_id, request.record_type, request.view) == (
        "Contact", CONTACT, "contact", "panel")
    assert request.client.instance_url == "https://acme.my.salesforce.com"
    assert "00D!token" not in repr(request.client)
    contact = salesforce.Contact(id=CONTACT, name="Aroha Ngata", email="aroha@example.com", account_id="")
    context = salesforce.context_for(request, salesforce.contact_record(contact, salesforce.Account("001x", "Harbour")),
                                     is_admin=False, jti="j1", now=NOW)
    assert context.host == "salesforce" and context.account_id == f"salesforce:{ORG}"
    assert (context.user.id, context.user.email, context.user.name, context.user.role) == (
        USER, "sam@acme.example", "Sam Rep", "member")
    assert (context.user.locale, context.user.timezone) == ("en-NZ", "Pacific/Auckland")
    assert (context.record.type, context.record.id, context.record.email, context.record.company) == (
        "contact", CONTACT, "aroha@example.com", "Harbour")
    assert context.expires_at > NOW


def test_the_signature_covers_the_encoded_envelope_and_splits_on_the_first_dot():
    value = signed(envelope())
    signature, _, encoded = value.partition(".")
    # Recomputed independently over the *encoded* string, as Canvas documents.
    assert base64.b64decode(signature) == hmac.new(SECRET.encode(), encoded.encode(), hashlib.sha256).digest()
    assert salesforce.verify_signed_request(value, secret=SECRET)["userId"] == USER
    # A dot after the first one belongs to the envelope part: then it is not base64 and is refused, never split.
    assert refused(value + ".extra").status == 400


def test_a_tampered_envelope_is_refused():
    value = signed(envelope())
    signature, _, _encoded = value.partition(".")
    forged = b64(json.dumps(envelope(context={**envelope()["context"], "organization": {
        "organizationId": "00D000000000009AAA", "name": "Other"}})).encode())
    error = refused(f"{signature}.{forged}")
    assert error.status == 401 and "signature does not match" in error.message


def test_a_tampered_signature_is_refused():
    value = signed(envelope())
    signature, _, encoded = value.partition(".")
    flipped = bytearray(base64.b64decode(signature))
    flipped[0] ^= 1
    assert refused(f"{b64(bytes(flipped))}.{encoded}").status == 401


def test_a_request_signed_with_another_secret_is_refused():
    error = refused(signed(envelope(), secret="another-consumer-secret-000000"))
    assert error.status == 401 and "consumer secret" in error.message


def test_base64url_instead_of_base64_is_refused_with_a_reason():
    # A body whose standard base64 has '+' and '/' in it, so that base64url differs.
    body = envelope()
    body["context"]["user"]["fullName"] = "Søren ~~~???>>>"
    raw = json.dumps(body).encode()
    assert "+" in b64(raw) or "/" in b64(raw)
    encoded = base64.urlsafe_b64encode(raw).decode()
    signature = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), encoded.encode(), hashlib.sha256).digest())
    error = refused(signature.decode() + "." + encoded)
    assert error.status == 400 and "base64url" in error.message


def test_unpadded_and_malformed_values_are_refused_not_crashed():
    value = signed(envelope())
    signature, _, encoded = value.partition(".")
    for broken in ("", "   ", "no-dot-here", ".", f"{signature}.", f".{encoded}", f"{signature.rstrip('=')}x.{encoded}",
                   "a" * (salesforce.MAX_SIGNED_REQUEST + 1)):
        assert refused(broken).status in (400, 401)


def test_an_envelope_that_is_not_json_or_not_hmacsha256_is_refused():
    encoded = b64(b"not json at all")
    value = b64(hmac.new(SECRET.encode(), encoded.encode(), hashlib.sha256).digest()) + "." + encoded
    assert refused(value).status == 400
    assert refused(signed(envelope(algorithm="HMACSHA1"))).status == 401
    encoded_list = b64(b"[1, 2]")
    value = b64(hmac.new(SECRET.encode(), encoded_list.encode(), hashlib.sha256).digest()) + "." + encoded_list
    assert refused(value).status == 400


def test_no_secret_configured_refuses_everything():
    assert refused(signed(envelope()), secret="").status == 503


def _read(body: dict) -> salesforce.CanvasRequest:
    return salesforce.read_canvas_request(salesforce.verify_signed_request(signed(body), secret=SECRET))


def _read_refused(body: dict) -> SalesforceRefused:
    with pytest.raises(SalesforceRefused) as caught:
        _read(body)
    return caught.value


def test_the_record_comes_from_environment_record_or_the_lightning_parameters():
    visualforce = _read(envelope(parameters={}, record={"attributes": {"type": "Account"},
                                                        "Id": "001000000000007AAA"}))
    assert (visualforce.object_name, visualforce.record_id, visualforce.record_type) == (
        "Account", "001000000000007AAA", "account")
    lightning = _read(envelope(parameters={"recordId": "006000000000003AAA"}))  # no sObjectName: the key prefix
    assert (lightning.object_name, lightning.record_type) == ("Opportunity", "deal")
    fifteen = _read(envelope(parameters={"recordId": "003000000000042"}))
    assert fifteen.object_name == "Contact" and fifteen.record_id == "003000000000042"


def test_a_missing_record_is_explained():
    error = _read_refused(envelope(parameters={}))
    assert error.status == 400 and "which record" in error.message


def test_an_unknown_object_type_is_explained():
    error = _read_refused(envelope(parameters={"recordId": "500000000000001AAA", "sObjectName": "Case"}))
    assert error.status == 400 and "Contact, Account and Opportunity pages only" in error.message
    assert "Case" in error.message
    by_prefix = _read_refused(envelope(parameters={"recordId": "a01000000000001AAA"}))
    assert by_prefix.status == 400 and "Contact, Account and Opportunity" in by_prefix.message
    hostile = _read_refused(envelope(parameters={"recordId": CONTACT, "sObjectName": "<script>x</script>"}))
    assert "<script>" not in hostile.message


def test_bad_ids_and_missing_parts_are_explained():
    assert _read_refused(envelope(parameters={"recordId": "003'; DROP"})).status == 400
    no_org = envelope()
    no_org["context"]["organization"] = {"organizationId": "not-an-org"}
    assert _read_refused(no_org).status == 400
    no_client = envelope(client={"instanceUrl": "", "oauthToken": ""})
    assert "Signed Request (POST)" in _read_refused(no_client).message
    two_users = envelope(userId="005000000000099AAA")
    assert _read_refused(two_users).status == 400
    assert _read_refused(envelope(parameters={"view": "everything"})).status == 400


def test_a_15_character_top_level_user_id_names_the_same_user():
    assert _read(envelope(userId=USER[:15])).user.id == USER


def test_the_settings_view_needs_no_record():
    request = _read(envelope(parameters={"view": "settings"}))
    assert request.view == "settings" and request.record_id == ""
    context = salesforce.context_for(request, None, is_admin=True, jti="j", now=NOW)
    assert context.user.role == "admin" and context.record.id == "settings"


def test_only_the_configured_salesforce_api_origins_are_called():
    patterns = "https://*.salesforce.com http://127.0.0.1:5006"
    assert salesforce.instance_url_allowed("https://acme.my.salesforce.com", patterns)
    assert salesforce.instance_url_allowed("http://127.0.0.1:5006", patterns)
    for url in ("https://evil.example", "http://acme.my.salesforce.com", "https://salesforce.com.evil.example",
                "https://acme.my.salesforce.com:8443", "https://acme.my.salesforce.com/path", "http://127.0.0.1:5007",
                "https://user@acme.my.salesforce.com", "javascript:alert(1)", ""):
        assert not salesforce.instance_url_allowed(url, patterns), url


def test_salesforce_locales_become_bcp47():
    assert salesforce.bcp47("de_DE") == "de-DE" and salesforce.bcp47("") == "en" and salesforce.bcp47("x y") == "en"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300) | st.builds(lambda a, b: f"{a}.{b}", st.text(max_size=80), st.text(max_size=200)))
def test_any_string_is_refused_with_a_reason_never_an_error(value):
    with pytest.raises(SalesforceRefused) as caught:
        salesforce.verify_signed_request(value, secret=SECRET)
    assert caught.value.status in (400, 401) and caught.value.message


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                                  max_size=4), max_leaves=12))
def test_any_signed_json_maps_or_is_refused_with_a_reason(body):
    value = signed({"algorithm": "HMACSHA256", "context": body} if isinstance(body, dict) else body)
    try:
        salesforce.read_canvas_request(salesforce.verify_signed_request(value, secret=SECRET))
    except SalesforceRefused as refused_:
        assert refused_.status in (400, 401) and refused_.message
