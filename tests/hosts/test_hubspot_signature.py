"""HubSpot's v3 request signature (plugin/hosts/hubspot.py): requests signed by HubSpot's own library
(hubspot-api-client's Signature.get_signature(..., "v3", ...)) and HubSpot's published example are accepted;
stale, future, tampered body, other URI, other secret and unsigned requests are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plugin.hosts.hubspot import HubSpotRefused, expected_signature, signed_uri, verify_signature

Signature = pytest.importorskip("hubspot.utils.signature", reason="hubspot-api-client is a test dependency").Signature

# HubSpot's published v3 example (the test vector of HubSpot's own Python client, hubspot-api-python
# tests/spec/utils/test_signature.py; HubSpot's "Validating requests" page gives worked examples for v1 and v2 only).
VECTOR = {"secret": "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "body": "{'example_field':'example_value'}",
          "uri": "https://www.example.com/webhook_uri", "method": "POST", "timestamp": "1693657560000",
          "signature": "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="}
SECRET = "an-app-client-secret-0123456789"
URI = "https://panel.example.com/hosts/hubspot/card?userId=302&portalId=3001&userEmail=sam%40acme.example&appId=7"
BODY = b'{"portalId":"3001","objectId":"42","objectTypeId":"0-1"}'
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
STAMP = str(int(NOW.timestamp() * 1000))


def at(stamp: str | int, extra_ms: int = 0) -> datetime:
    return datetime.fromtimestamp((int(stamp) + extra_ms) / 1000, UTC)


def by_hubspot(*, secret: str = SECRET, uri: str = URI, body: bytes = BODY, stamp: str = STAMP) -> str:
    """What HubSpot sends: its library's v3 signature over the URI as HubSpot writes it (escapes decoded)."""
    return Signature.get_signature(secret, body.decode(), "v3", http_uri=uri.replace("%40", "@"), http_method="POST",
                                   timestamp=stamp)


def verify(signature: str | None, *, uri: str = URI, body: bytes = BODY, stamp: str | None = STAMP,
           now: datetime = NOW, secret: str = SECRET) -> None:
    verify_signature(secret=secret, method="POST", uri=uri, body=body, signature=signature, timestamp=stamp, now=now)


def test_hubspots_published_example_is_accepted():
    assert expected_signature(VECTOR["secret"], method="POST", uri=VECTOR["uri"], body=VECTOR["body"].encode(),
                              timestamp=VECTOR["timestamp"]) == VECTOR["signature"]
    verify_signature(secret=VECTOR["secret"], method="POST", uri=VECTOR["uri"], body=VECTOR["body"].encode(),
                     signature=VECTOR["signature"], timestamp=VECTOR["timestamp"], now=at(VECTOR["timestamp"], 1000))
    assert Signature.get_signature(VECTOR["secret"], VECTOR["body"], "v3", http_uri=VECTOR["uri"],
                                   timestamp=VECTOR["timestamp"]) == VECTOR["signature"]


def test_a_request_signed_by_hubspots_library_is_accepted():
    verify(by_hubspot())
    verify(by_hubspot(), now=at(STAMP, 5 * 60 * 1000 - 1))  # just inside five minutes


def test_only_the_listed_escapes_are_decoded_before_signing():
    uri = "https://p.example.com/hosts/hubspot/card?q=a%20b%26c&mail=x%40y.example&t=%3A%2F%3F%21%24%27%28%29%2A%2C%3B"
    assert signed_uri(uri) == "https://p.example.com/hosts/hubspot/card?q=a%20b%26c&mail=x@y.example&t=:/?!$'()*,;"
    assert signed_uri("https://p.example.com/x?a=b%3ac%2fd") == "https://p.example.com/x?a=b:c/d"  # any case
    decoded_by_hubspot = Signature.get_signature(SECRET, BODY.decode(), "v3", http_uri=signed_uri(uri),
                                                 timestamp=STAMP)
    verify(decoded_by_hubspot, uri=uri)
    fully_decoded = Signature.get_signature(SECRET, BODY.decode(), "v3", http_uri=uri.replace("%20", " "),
                                            timestamp=STAMP)
    with pytest.raises(HubSpotRefused, match="does not match"):
        verify(fully_decoded, uri=uri)


@pytest.mark.parametrize(("case", "words"), [
    ("stale", "more than 5 minutes old"),
    ("future", "in the future"),
    ("tampered body", "does not match"),
    ("other uri", "does not match"),
    ("other query", "does not match"),
    ("other method", "does not match"),
    ("other secret", "does not match"),
    ("no signature", "not signed by HubSpot"),
    ("no timestamp", "not signed by HubSpot"),
    ("bad timestamp", "not a time"),
])
def test_forged_and_stale_requests_are_refused(case, words):
    signature = by_hubspot()
    arguments: dict = {}
    if case == "stale":
        arguments["now"] = at(STAMP, 5 * 60 * 1000 + 1)
    elif case == "future":
        arguments["now"] = at(STAMP, -2 * 60 * 1000)
    elif case == "tampered body":
        arguments["body"] = BODY.replace(b'"42"', b'"43"')
    elif case == "other uri":
        arguments["uri"] = URI.replace("/card?", "/launch?")
    elif case == "other query":
        arguments["uri"] = URI.replace("portalId=3001", "portalId=4002")
    elif case == "other method":
        with pytest.raises(HubSpotRefused, match=words):
            verify_signature(secret=SECRET, method="GET", uri=URI, body=BODY, signature=signature, timestamp=STAMP,
                             now=NOW)
        return
    elif case == "other secret":
        signature = by_hubspot(secret="another-apps-secret-9876543210")
    elif case == "no signature":
        signature = ""
    elif case == "no timestamp":
        arguments["stamp"] = None
    elif case == "bad timestamp":
        arguments["stamp"] = "1e12"
    with pytest.raises(HubSpotRefused, match=words) as refused:
        verify(signature, **arguments)
    assert refused.value.status == 401


def test_without_a_client_secret_nothing_is_accepted():
    with pytest.raises(HubSpotRefused) as refused:
        verify(by_hubspot(), secret="")
    assert refused.value.status == 503
