"""The emulator's identity server over real HTTP: authorize pages, code exchange, refresh rotation, revocation."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from devkit.emulator.state import DEMO_REDIRECT_URI
from plugin.settings import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, GRANULAR_SCOPES

AUTH = (EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)


def _authorize_params(**overrides):
    params = {"response_type": "code", "client_id": EMULATOR_CLIENT_ID, "redirect_uri": DEMO_REDIRECT_URI,
              "scope": GRANULAR_SCOPES, "state": "st-123"}
    params.update(overrides)
    return params


def _hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def _sign_in_and_allow(base, params, *, email="demo@example.com", password="demo", tenants=None):
    """Drive the pages as a browser would; returns the redirect Location."""
    session = requests.Session()
    page = session.get(f"{base}/identity/connect/authorize", params=params, timeout=10)
    assert page.status_code == 200 and 'name="password"' in page.text
    consent = session.post(f"{base}/identity/connect/authorize",
                           data={**_hidden_fields(page.text), "email": email, "password": password}, timeout=10)
    assert consent.status_code == 200, consent.text
    fields = _hidden_fields(consent.text)
    chosen = tenants if tenants is not None else re.findall(r'name="tenant" value="([^"]+)"\s+checked', consent.text)
    if not chosen:
        chosen = [fields["tenant"]]
    done = session.post(f"{base}/identity/connect/authorize",
                        data={**fields, "tenant": chosen, "action": "allow"}, allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text
    return done.headers["Location"], consent.text


def _code_from(location):
    query = parse_qs(urlsplit(location).query)
    return query["code"][0], query["state"][0]


def _exchange(base, code, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO_REDIRECT_URI, **extra}
    return requests.post(f"{base}/connect/token", data=data, auth=AUTH, timeout=10)


@pytest.mark.parametrize(("override", "message"), [
    ({"client_id": "nobody"}, "unauthorized_client"),
    ({"redirect_uri": "http://127.0.0.1:9/elsewhere"}, "redirect_uri"),
    ({"scope": "openid accounting.everything"}, "invalid_scope"),
])
def test_bad_authorize_requests_get_an_error_page_not_a_redirect(emulator, override, message):
    answer = requests.get(f"{emulator.url}/identity/connect/authorize", params=_authorize_params(**override),
                          allow_redirects=False, timeout=10)

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert message in answer.text


def test_a_wrong_password_stays_on_the_sign_in_page(emulator):
    page = requests.get(f"{emulator.url}/identity/connect/authorize", params=_authorize_params(), timeout=10)
    answer = requests.post(f"{emulator.url}/identity/connect/authorize",
                           data={**_hidden_fields(page.text), "email": "demo@example.com", "password": "nope"},
                           timeout=10)

    assert answer.status_code == 401
    assert "incorrect" in answer.text


def test_a_user_with_two_organisations_chooses_and_the_code_carries_state(emulator):
    location, consent = _sign_in_and_allow(emulator.url, _authorize_params())

    assert consent.count('name="tenant"') == 2 and "Allow access" in consent
    assert location.startswith(DEMO_REDIRECT_URI)
    code, state = _code_from(location)
    assert state == "st-123" and code


def test_a_user_with_one_organisation_sees_no_chooser(emulator):
    _, consent = _sign_in_and_allow(emulator.url, _authorize_params(), email="olivia@example.com")

    assert 'type="checkbox"' not in consent
    assert "Thornbury Joinery" in consent


def test_code_exchange_gives_tokens_and_connections_for_the_chosen_organisation(emulator, studio_id):
    location, _ = _sign_in_and_allow(emulator.url, _authorize_params(), tenants=[studio_id])
    code, _ = _code_from(location)

    tokens = _exchange(emulator.url, code).json()
    event_id = _claims(tokens["access_token"])["authentication_event_id"]
    connections = requests.get(f"{emulator.url}/connections", params={"authEventId": event_id},
                               headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10).json()

    assert tokens["expires_in"] == 1800 and tokens["token_type"] == "Bearer"
    assert [c["tenantId"] for c in connections] == [studio_id]


def test_codes_are_single_use(emulator):
    code, _ = _code_from(_sign_in_and_allow(emulator.url, _authorize_params())[0])

    assert _exchange(emulator.url, code).status_code == 200
    again = _exchange(emulator.url, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_client_secret_post_works_as_well_as_basic(emulator):
    code, _ = _code_from(_sign_in_and_allow(emulator.url, _authorize_params())[0])
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO_REDIRECT_URI,
            "client_id": EMULATOR_CLIENT_ID, "client_secret": EMULATOR_CLIENT_SECRET}

    assert requests.post(f"{emulator.url}/connect/token", data=data, timeout=10).status_code == 200


def test_a_wrong_client_secret_is_invalid_client(emulator):
    answer = requests.post(f"{emulator.url}/connect/token", data={"grant_type": "refresh_token", "refresh_token": "x"},
                           auth=(EMULATOR_CLIENT_ID, "wrong"), timeout=10)

    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"


def test_pkce_s256_is_checked(emulator):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = _authorize_params(code_challenge=challenge, code_challenge_method="S256")
    wrong, _ = _code_from(_sign_in_and_allow(emulator.url, params)[0])
    right, _ = _code_from(_sign_in_and_allow(emulator.url, params)[0])

    assert _exchange(emulator.url, wrong, code_verifier="w" * 50).json()["error"] == "invalid_grant"
    assert "access_token" in _exchange(emulator.url, right, code_verifier=verifier).json()


def _refresh(base, token):
    return requests.post(f"{base}/connect/token", data={"grant_type": "refresh_token", "refresh_token": token},
                         auth=AUTH, timeout=10)


def test_refresh_rotates_and_the_old_token_has_a_30_minute_grace(emulator, tokens):
    first = tokens["refresh_token"]
    rotated = _refresh(emulator.url, first).json()
    assert rotated["refresh_token"] != first

    emulator.state.clock.advance(minutes=29)
    assert _refresh(emulator.url, first).status_code == 200  # lost response? retry the old one

    emulator.state.clock.advance(minutes=2)
    late = _refresh(emulator.url, first)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert _refresh(emulator.url, rotated["refresh_token"]).status_code == 200


def test_access_tokens_expire_after_30_minutes(emulator, api):
    assert api.get("Organisation").status_code == 200
    emulator.state.clock.advance(minutes=30)

    answer = api.get("Organisation")
    assert answer.status_code == 401
    assert answer.json()["Detail"].startswith("TokenExpired: token expired at ")


def test_revocation_ends_refresh_and_every_connection(emulator, tokens, api):
    answer = requests.post(f"{emulator.url}/connect/revocation", data={"token": tokens["refresh_token"]}, auth=AUTH,
                           timeout=10)

    assert answer.status_code == 200
    assert _refresh(emulator.url, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    listed = requests.get(f"{emulator.url}/connections",
                          headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)
    assert listed.json() == []
    assert api.get("Organisation").status_code == 403


def test_deleting_a_connection_removes_that_tenant_only(emulator, tokens, studio_id, joinery_id):
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    listed = requests.get(f"{emulator.url}/connections", headers=headers, timeout=10).json()
    studio = next(c for c in listed if c["tenantId"] == studio_id)

    assert requests.delete(f"{emulator.url}/connections/{studio['id']}", headers=headers, timeout=10).status_code == 204
    remaining = requests.get(f"{emulator.url}/connections", headers=headers, timeout=10)
    assert [c["tenantId"] for c in remaining.json()] == [joinery_id]
    assert set(remaining.headers) & {"X-AppMinLimit-Remaining"} and "X-MinLimit-Remaining" not in remaining.headers
    again = requests.delete(f"{emulator.url}/connections/{studio['id']}", headers=headers, timeout=10)
    assert again.status_code == 404


def _claims(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))


def test_id_token_verifies_with_the_published_jwks(emulator, tokens):
    jwks = requests.get(f"{emulator.url}/.well-known/openid-configuration/jwks", timeout=10).json()
    key = jwks["keys"][0]
    numbers = rsa.RSAPublicNumbers(int.from_bytes(base64.urlsafe_b64decode(key["e"] + "==="), "big"),
                                   int.from_bytes(base64.urlsafe_b64decode(key["n"] + "==="), "big"))
    header, payload, signature = tokens["id_token"].split(".")

    numbers.public_key().verify(base64.urlsafe_b64decode(signature + "==="), f"{header}.{payload}".encode(),
                                padding.PKCS1v15(), hashes.SHA256())
    claims = _claims(tokens["id_token"])
    assert claims["iss"] == emulator.url and claims["aud"] == EMULATOR_CLIENT_ID
    assert (claims["email"], claims["given_name"], claims["family_name"]) == ("demo@example.com", "Dana", "Demo")
    assert claims["xero_userid"]
