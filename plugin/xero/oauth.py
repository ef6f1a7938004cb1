"""Signing in with Xero: authorization code with state and PKCE (S256), refresh, revocation, tenants, identity.

The token calls go through Authlib's OAuth2Session with client_secret_basic, as Xero documents. A fresh Authlib
session is made per call, so one XeroOAuth can be shared by threads without sharing token state. Every rotated
TokenSet is returned to the caller, who must persist it before using its access token (a lost refresh token
means reconnecting after the 30-minute grace).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.requests_client import OAuthError as AuthlibOAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from plugin.domain.clock import Clock, SystemClock
from plugin.domain.models import Connection, TokenSet, XeroIdentity
from plugin.xero.client import rate_limited_from
from plugin.xero.endpoints import XeroEndpoints
from plugin.xero.errors import (
    ConnectionRevoked,
    InvalidGrant,
    NotFound,
    OAuthError,
    TokenExpired,
    XeroError,
    XeroUnavailable,
    with_correlation_id,
)
from plugin.xero.parse import load_json, parse_connection, parse_token_set

ID_TOKEN_ALGORITHMS = ["RS256"]


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Where to send the browser, and what to keep (server-side) until the callback comes back."""

    url: str
    state: str
    code_verifier: str


class XeroOAuth:
    """The identity side of Xero for one registered app."""

    def __init__(
        self,
        *,
        endpoints: XeroEndpoints,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str],
        redirect_uri: str,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = tuple(scopes)
        self._redirect_uri = redirect_uri
        self._session = session or requests.Session()
        self._timeout = timeout
        self._clock = clock or SystemClock()
        self._jwks: KeySet | None = None
        self._jwks_lock = threading.Lock()

    # -- authorization code flow ----------------------------------------------------------------------------------

    def authorization_request(self) -> AuthorizationRequest:
        """A fresh state and PKCE verifier, and the authorize URL carrying the state and S256 challenge."""
        state = secrets.token_urlsafe(32)
        code_verifier = generate_token(64)
        url, _ = self._authlib(scope=" ".join(self._scopes)).create_authorization_url(
            self._endpoints.authorize_url, state=state, code_verifier=code_verifier
        )
        return AuthorizationRequest(url=url, state=state, code_verifier=code_verifier)

    def exchange_code(self, code: str, *, code_verifier: str) -> TokenSet:
        """Trade the callback's code (single-use) for a token set."""
        token = self._token_call(
            lambda oauth: oauth.fetch_token(
                self._endpoints.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=self._timeout,
            )
        )
        return parse_token_set(token, self._clock.now())

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new token set with a rotated refresh token. Persist it before using it. InvalidGrant when refused.

        No scope is sent: Xero keeps the consented scopes, and a different scope list breaks refresh.
        """
        token = self._token_call(
            lambda oauth: oauth.refresh_token(
                self._endpoints.token_url, refresh_token=refresh_token, timeout=self._timeout
            )
        )
        return parse_token_set(token, self._clock.now())

    def revoke(self, refresh_token: str) -> None:
        """Revoke the refresh token; Xero then drops every tenant connection of that consent."""
        response = self._token_call(
            lambda oauth: oauth.revoke_token(
                self._endpoints.revocation_url,
                token=refresh_token,
                token_type_hint="refresh_token",
                timeout=self._timeout,
            )
        )
        if response.status_code != 200:
            raise _oauth_error_from(response)

    # -- tenants --------------------------------------------------------------------------------------------------

    def connections(self, access_token: str, auth_event_id: str | None = None) -> list[Connection]:
        """The organisations this token may read; with `auth_event_id`, only those of that consent."""
        params = {"authEventId": auth_event_id} if auth_event_id else None
        response = self._identity_call("GET", self._endpoints.connections_url, access_token, params=params)
        try:
            body = load_json(response.content)
        except ValueError as error:
            raise XeroUnavailable("GET /connections: the answer was not JSON") from error
        if not isinstance(body, list):
            raise XeroUnavailable("GET /connections: expected a list")
        return [parse_connection(item) for item in body]

    def disconnect(self, access_token: str, connection_id: str) -> None:
        """Remove one tenant connection (the others of the same consent stay)."""
        url = f"{self._endpoints.connections_url}/{quote(connection_id, safe='')}"
        self._identity_call("DELETE", url, access_token)

    # -- identity -------------------------------------------------------------------------------------------------

    def verify_id_token(self, id_token: str) -> XeroIdentity:
        """Check the id_token's RS256 signature against Xero's JWKS, its issuer, audience and expiry."""
        claims = self._verified_claims(id_token)
        try:
            return XeroIdentity(
                xero_userid=str(claims["xero_userid"]),
                email=str(claims["email"]),
                given_name=str(claims.get("given_name", "")),
                family_name=str(claims.get("family_name", "")),
                auth_event_id=str(claims.get("authentication_event_id", "")),
            )
        except KeyError as missing:
            raise OAuthError(
                "invalid_id_token", f"claim {missing} missing (were openid profile email granted?)"
            ) from None

    def auth_event_id_of(self, access_token: str) -> str:
        """The `authentication_event_id` claim of an access token ("" when absent).

        Read without checking the signature on purpose: the value only narrows GET /connections to this
        consent, and Xero itself checks the same token on that call. Never use it to decide who someone is.
        """
        claims = _unverified_claims(access_token)
        return str(claims.get("authentication_event_id", ""))

    # -- plumbing -------------------------------------------------------------------------------------------------

    def _authlib(self, scope: str | None = None) -> OAuth2Session:
        oauth = OAuth2Session(
            client_id=self._client_id,
            client_secret=self._client_secret,
            scope=scope,
            redirect_uri=self._redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )
        # Share the injected session's transport (adapters, hooks), so tests and proxies see these calls too.
        oauth.adapters = self._session.adapters
        oauth.hooks = self._session.hooks
        return oauth

    def _token_call(self, call) -> Any:
        """Run one Authlib token-endpoint call and turn its failures into ours."""
        oauth = self._authlib()
        try:
            return call(oauth)
        except AuthlibOAuthError as error:
            raise _oauth_error(error.error or "oauth_error", error.description or "") from error
        except (requests.ConnectionError, requests.Timeout) as error:
            raise XeroUnavailable(f"identity server: {type(error).__name__}") from error
        except requests.HTTPError as error:
            raise XeroUnavailable(f"identity server: HTTP {error.response.status_code}") from error
        except ValueError as error:  # a body that is not a JSON object
            raise XeroUnavailable("identity server: the answer was not JSON") from error

    def _identity_call(self, method: str, url: str, access_token: str, params=None) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        try:
            response = self._session.request(method, url, headers=headers, params=params, timeout=self._timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise XeroUnavailable(f"{method} /connections: {type(error).__name__}") from error
        if response.status_code >= 400:
            raise with_correlation_id(_connections_error(method, response), response.headers)
        return response

    def _verified_claims(self, id_token: str) -> dict[str, Any]:
        try:
            token = jwt.decode(id_token, self._key_set(), algorithms=ID_TOKEN_ALGORITHMS)
        except JoseError as error:
            if "kid" not in str(error).lower():
                raise OAuthError("invalid_id_token", str(error)) from error
            token = self._decode_with_fresh_keys(id_token)  # Xero rotated its keys since we cached them
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock.now().timestamp()),
            iss={"essential": True, "value": self._endpoints.issuer},
            aud={"essential": True, "value": self._client_id},
            exp={"essential": True},
        )
        try:
            registry.validate(token.claims)
        except JoseError as error:
            raise OAuthError("invalid_id_token", str(error)) from error
        return token.claims

    def _decode_with_fresh_keys(self, id_token: str):
        with self._jwks_lock:
            self._jwks = None
        try:
            return jwt.decode(id_token, self._key_set(), algorithms=ID_TOKEN_ALGORITHMS)
        except JoseError as error:
            raise OAuthError("invalid_id_token", str(error)) from error

    def _key_set(self) -> KeySet:
        """Xero's signing keys, fetched once and kept until a token names a key we do not have."""
        with self._jwks_lock:
            if self._jwks is None:
                self._jwks = KeySet.import_key_set(self._fetch_jwks())
            return self._jwks

    def _fetch_jwks(self) -> dict[str, Any]:
        try:
            response = self._session.get(self._endpoints.jwks_url, timeout=self._timeout)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as error:
            raise XeroUnavailable(f"JWKS: {error}") from error


def _oauth_error(error: str, description: str) -> OAuthError:
    if error == "invalid_grant":
        return InvalidGrant(description or "the code or refresh token was refused")
    return OAuthError(error, description)


def _oauth_error_from(response: requests.Response) -> OAuthError:
    try:
        body = load_json(response.content)
    except ValueError:
        body = {}
    body = body if isinstance(body, Mapping) else {}
    error = _oauth_error(str(body.get("error", f"http_{response.status_code}")), str(body.get("error_description", "")))
    return with_correlation_id(error, response.headers)


def _connections_error(method: str, response: requests.Response) -> XeroError:
    status = response.status_code
    where = f"{method} /connections"
    if status == 401:
        return TokenExpired(f"{where}: unauthorised")
    if status == 403:
        return ConnectionRevoked(f"{where}: forbidden")
    if status == 404:
        return NotFound(f"{where}: no such connection")
    if status == 429:
        return rate_limited_from(response)
    return XeroUnavailable(f"{where}: HTTP {status}")


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, decoded but NOT verified."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error) as error:
        raise OAuthError("invalid_token", "the access token is not a JWT") from error
    if not isinstance(claims, dict):
        raise OAuthError("invalid_token", "the access token's payload is not an object")
    return claims
