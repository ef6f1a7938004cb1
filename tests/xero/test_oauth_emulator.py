"""XeroOAuth against the emulator over real HTTP: the browser round trip, tokens, rotation, grace, revocation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from devkit.emulator.seed import DEMO_EMAIL
from plugin.xero.client import XeroClient
from plugin.xero.endpoints import XeroEndpoints
from plugin.xero.errors import ConnectionRevoked, InvalidGrant, OAuthError
from plugin.xero.oauth import XeroOAuth
from tests.xero.emulated import MemoryTokens, make_oauth, sign_in_and_allow


@pytest.fixture
def oauth(emulator) -> XeroOAuth:
    return make_oauth(emulator)


@pytest.fixture
def connected(oauth):
    """A user who went through the whole browser flow: (request, callback query, token set)."""
    request = oauth.authorization_request()
    callback = sign_in_and_allow(request.url)
    tokens = oauth.exchange_code(callback["code"], code_verifier=request.code_verifier)
    return request, callback, tokens


def test_authorization_url_carries_state_pkce_and_granular_scopes(oauth):
    request = oauth.authorization_request()
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert query["state"] == request.state
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] and query["code_challenge"] != request.code_verifier
    assert "accounting.invoices.read" in query["scope"].split()
    assert "accounting.transactions.read" not in query["scope"].split()
    assert oauth.authorization_request().state != request.state


def test_whole_round_trip_signs_in_and_reads_the_organisations(emulator, oauth, connected):
    request, callback, tokens = connected
    assert callback["state"] == request.state
    assert tokens.refresh_token and tokens.expires_at == emulator.state.clock.now() + timedelta(minutes=30)
    assert "offline_access" in tokens.scope

    identity = oauth.verify_id_token(tokens.id_token)
    assert identity.email == DEMO_EMAIL and identity.full_name

    auth_event = oauth.auth_event_id_of(tokens.access_token)
    connections = oauth.connections(tokens.access_token, auth_event_id=auth_event)
    assert {c.tenant_id for c in connections} == {t["tenant_id"] for t in emulator.state.tenants[:2]}
    assert all(c.auth_event_id == auth_event for c in connections)

    client = XeroClient(
        endpoints=XeroEndpoints.emulator(emulator.url),
        tenant_id=connections[0].tenant_id,
        tokens=MemoryTokens(oauth, tokens),
    )
    assert client.organisation().name == connections[0].tenant_name


def test_codes_are_single_use(oauth):
    request = oauth.authorization_request()
    code = sign_in_and_allow(request.url)["code"]
    oauth.exchange_code(code, code_verifier=request.code_verifier)
    with pytest.raises(InvalidGrant):
        oauth.exchange_code(code, code_verifier=request.code_verifier)


def test_the_code_needs_its_own_verifier(oauth):
    request = oauth.authorization_request()
    code = sign_in_and_allow(request.url)["code"]
    with pytest.raises(InvalidGrant):
        oauth.exchange_code(code, code_verifier=oauth.authorization_request().code_verifier)


def test_refresh_rotates_and_the_old_token_has_a_grace_period(emulator, oauth, connected):
    _, _, first = connected
    second = oauth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token

    emulator.state.clock.advance(minutes=29)  # the refresh answer was "lost": the old token still works
    retried = oauth.refresh(first.refresh_token)
    assert retried.refresh_token not in (first.refresh_token, second.refresh_token)

    emulator.state.clock.advance(minutes=2)  # past the 30-minute grace
    with pytest.raises(InvalidGrant):
        oauth.refresh(first.refresh_token)
    assert oauth.refresh(retried.refresh_token).access_token  # the newest one is fine


def test_revocation_ends_refresh_and_every_connection(emulator, oauth, connected):
    _, _, tokens = connected
    tenant = oauth.connections(tokens.access_token)[0].tenant_id
    oauth.revoke(tokens.refresh_token)
    with pytest.raises(InvalidGrant):
        oauth.refresh(tokens.refresh_token)
    assert oauth.connections(tokens.access_token) == []
    client = XeroClient(
        endpoints=XeroEndpoints.emulator(emulator.url), tenant_id=tenant, tokens=MemoryTokens(oauth, tokens)
    )
    with pytest.raises(ConnectionRevoked):
        client.organisation()


def test_disconnect_removes_one_tenant_only(emulator, oauth, connected):
    _, _, tokens = connected
    first, second = oauth.connections(tokens.access_token, oauth.auth_event_id_of(tokens.access_token))
    oauth.disconnect(tokens.access_token, first.id)
    assert [c.id for c in oauth.connections(tokens.access_token, oauth.auth_event_id_of(tokens.access_token))] == [
        second.id
    ]
    with pytest.raises(ConnectionRevoked):
        XeroClient(
            endpoints=XeroEndpoints.emulator(emulator.url),
            tenant_id=first.tenant_id,
            tokens=MemoryTokens(oauth, tokens),
        ).organisation()


def test_id_token_for_another_app_is_refused(emulator, connected):
    _, _, tokens = connected
    with pytest.raises(OAuthError, match="aud"):
        make_oauth(emulator, client_id="some-other-app").verify_id_token(tokens.id_token)


def test_expired_id_token_is_refused(emulator, oauth, connected):
    _, _, tokens = connected
    emulator.state.clock.advance(minutes=10)
    with pytest.raises(OAuthError, match="exp"):
        oauth.verify_id_token(tokens.id_token)


def test_tampered_id_token_is_refused(oauth, connected):
    _, _, tokens = connected
    header, payload, signature = tokens.id_token.split(".")
    with pytest.raises(OAuthError):
        oauth.verify_id_token(f"{header}.{payload}.{signature[:-4]}AAAA")


def test_wrong_client_secret_is_an_oauth_error(emulator, oauth):
    request = oauth.authorization_request()
    code = sign_in_and_allow(request.url)["code"]
    with pytest.raises(OAuthError) as raised:
        make_oauth(emulator, client_secret="wrong").exchange_code(code, code_verifier=request.code_verifier)
    assert raised.value.error == "invalid_client"


def test_token_calls_use_client_secret_basic(emulator):
    seen = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, **_: seen.append(response.request))
    oauth = make_oauth(emulator, session=session)
    oauth.refresh(emulator.state.issue_token_set()["refresh_token"])
    [token_call] = [r for r in seen if r.url.endswith("/connect/token")]
    assert token_call.headers["Authorization"].startswith("Basic ")
    assert "client_secret" not in (token_call.body or "")
    assert "scope=" not in (token_call.body or "")  # refresh keeps the consented scopes


def test_auth_event_id_of_a_non_jwt_is_an_oauth_error(oauth):
    with pytest.raises(OAuthError):
        oauth.auth_event_id_of("not-a-jwt")
