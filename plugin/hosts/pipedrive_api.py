"""Pipedrive's Marketplace OAuth and the few API reads the panel needs, over `requests`. No Flask here.

OAuth (https://pipedrive.readme.io/docs/marketplace-oauth-authorization): authorize at `<oauth>/oauth/authorize`
(client_id, redirect_uri, state); the code and refresh tokens are exchanged at `<oauth>/oauth/token` with HTTP Basic
client_id:client_secret; the answer has access_token, refresh_token, expires_in, scope and api_domain (the
company's API origin). `<oauth>/oauth/revoke` (RFC 7009) revokes a refresh token.

Reads: API v2 for persons, organizations and deals (the v1 GETs are deprecated since 2026-01-01 and out of support
from 2026-08-01), v1 for users (`/users/me`, `/users/{id}`), whose `is_admin` says who may connect Xero.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from plugin.domain.text import N_
from plugin.hosts.pipedrive import Deal, Organization, Person, PipedriveUser

DEFAULT_OAUTH_URL = "https://oauth.pipedrive.com"
DEFAULT_API_URL = "https://api.pipedrive.com"


class PipedriveError(Exception):
    """Pipedrive could not answer; `user_message` is for the panel."""

    user_message = N_("Pipedrive isn't answering right now. Try again in a minute.")


class PipedriveUnavailable(PipedriveError):
    """Down, timed out, 5xx, 429 or an answer that can't be read."""


class PipedriveAccessRefused(PipedriveError):
    """Pipedrive refuses this account's token (401/403 after a refresh): the app must be installed again."""

    user_message = N_("Pipedrive refuses this app's access for your company. An admin has to install the app "
                      "again from the Pipedrive Marketplace.")


class PipedriveGrantRefused(PipedriveAccessRefused):
    """The token endpoint refused the code or refresh token (invalid_grant and the like)."""


@dataclass(frozen=True, slots=True)
class PipedriveTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str = ""
    api_domain: str = ""

    def __repr__(self) -> str:
        return f"PipedriveTokens(expires_at={self.expires_at!r}, api_domain={self.api_domain!r}, tokens=<hidden>)"


class PipedriveOAuth:
    def __init__(self, *, oauth_url: str, client_id: str, client_secret: str, redirect_uri: str,
                 http: requests.Session, timeout: float, now: Callable[[], datetime]) -> None:
        self._base = oauth_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self._http = http
        self._timeout = timeout
        self._now = now

    def __repr__(self) -> str:
        return f"PipedriveOAuth(oauth_url={self._base!r}, client_id={self._client_id!r})"

    def authorize_url(self, state: str) -> str:
        query = urllib.parse.urlencode({"client_id": self._client_id, "redirect_uri": self.redirect_uri,
                                        "state": state})
        return f"{self._base}/oauth/authorize?{query}"

    def exchange(self, code: str) -> PipedriveTokens:
        return self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri})

    def refresh(self, refresh_token: str) -> PipedriveTokens:
        """A new token set; Pipedrive may rotate the refresh token, so the one returned replaces the stored one."""
        tokens = self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        if not tokens.refresh_token:
            tokens = PipedriveTokens(tokens.access_token, refresh_token, tokens.expires_at, tokens.scope,
                                     tokens.api_domain)
        return tokens

    def revoke(self, refresh_token: str) -> bool:
        try:
            response = self._http.post(
                f"{self._base}/oauth/revoke", data={"token": refresh_token, "token_type_hint": "refresh_token"},
                headers=self._basic(), timeout=self._timeout)
        except requests.RequestException:
            return False
        return response.ok

    def _token(self, form: Mapping[str, str]) -> PipedriveTokens:
        try:
            response = self._http.post(f"{self._base}/oauth/token", data=dict(form), headers=self._basic(),
                                       timeout=self._timeout)
        except requests.RequestException as error:
            raise PipedriveUnavailable(f"Pipedrive's token endpoint: {type(error).__name__}") from None
        if response.status_code in (400, 401, 403):
            raise PipedriveGrantRefused(f"Pipedrive's token endpoint refused ({response.status_code}): "
                                        f"{_error_code(response)}")
        body = _json(response, "token endpoint")
        access, refresh = body.get("access_token"), body.get("refresh_token", "")
        if not isinstance(access, str) or not access or not isinstance(refresh, str):
            raise PipedriveUnavailable("Pipedrive's token endpoint answered without an access token")
        expires_in = body.get("expires_in")
        numeric = isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
        seconds = float(expires_in) if numeric else 3600.0
        return PipedriveTokens(
            access_token=access,
            refresh_token=refresh,
            expires_at=self._now() + timedelta(seconds=seconds),
            scope=str(body.get("scope") or ""),
            api_domain=str(body.get("api_domain") or ""),
        )

    def _basic(self) -> dict[str, str]:
        pair = f"{self._client_id}:{self._client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode(), "Accept": "application/json"}


class PipedriveAPI:
    """Reads for one company. `token()` gives a usable access token; `refreshed(rejected)` one more after a 401."""

    def __init__(self, *, base_url: str, token: Callable[[], str], refreshed: Callable[[str], str],
                 http: requests.Session, timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._refreshed = refreshed
        self._http = http
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"PipedriveAPI(base_url={self._base!r})"

    def me(self) -> PipedriveUser:
        data = self._get("/api/v1/users/me")
        if data is None:
            raise PipedriveUnavailable("Pipedrive's /users/me answered 404")
        return _user(data)

    def me_with_company(self) -> tuple[PipedriveUser, str]:
        """The token's user and company (`/users/me`): who installed the app, into which company."""
        data = self._get("/api/v1/users/me")
        company = _optional_id(data.get("company_id")) if data else ""
        if data is None or not company:
            raise PipedriveUnavailable("Pipedrive's /users/me answered without a company")
        return _user(data), company

    def user(self, user_id: str) -> PipedriveUser | None:
        data = self._get(f"/api/v1/users/{_path_id(user_id)}")
        return None if data is None else _user(data)

    def person(self, person_id: str) -> Person | None:
        data = self._get(f"/api/v2/persons/{_path_id(person_id)}")
        if data is None or data.get("is_deleted"):
            return None
        emails = data.get("emails") or []
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary") and e.get("value")), None)
        chosen = primary or next((e for e in emails if isinstance(e, dict) and e.get("value")), None)
        return Person(id=str(data.get("id", person_id)), name=str(data.get("name") or ""),
                      email=str(chosen["value"]) if chosen else "", org_id=_optional_id(data.get("org_id")))

    def organization(self, org_id: str) -> Organization | None:
        data = self._get(f"/api/v2/organizations/{_path_id(org_id)}")
        if data is None or data.get("is_deleted"):
            return None
        return Organization(id=str(data.get("id", org_id)), name=str(data.get("name") or ""))

    def deal(self, deal_id: str) -> Deal | None:
        data = self._get(f"/api/v2/deals/{_path_id(deal_id)}")
        if data is None or data.get("is_deleted"):
            return None
        return Deal(id=str(data.get("id", deal_id)), title=str(data.get("title") or ""),
                    person_id=_optional_id(data.get("person_id")), org_id=_optional_id(data.get("org_id")))

    def _get(self, path: str) -> dict[str, Any] | None:
        """The `data` object of a GET, None for 404 (deleted, or not this company's), after one refresh on 401."""
        token = self._token()
        response = self._send(path, token)
        if response.status_code == 401:
            response = self._send(path, self._refreshed(token))
        if response.status_code == 404 or response.status_code == 410:
            return None
        if response.status_code in (401, 403):
            raise PipedriveAccessRefused(f"Pipedrive refused GET {path} ({response.status_code})")
        body = _json(response, f"GET {path}")
        data = body.get("data")
        if body.get("success") is False or not isinstance(data, dict):
            raise PipedriveUnavailable(f"Pipedrive's GET {path} answered without data")
        return data

    def _send(self, path: str, token: str) -> requests.Response:
        try:
            return self._http.get(self._base + path, timeout=self._timeout,
                                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except requests.RequestException as error:
            raise PipedriveUnavailable(f"Pipedrive's GET {path}: {type(error).__name__}") from None


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise PipedriveUnavailable(f"Pipedrive's {what} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise PipedriveUnavailable(f"Pipedrive's {what} answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise PipedriveUnavailable(f"Pipedrive's {what} answered something that is not an object")
    return body


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no JSON"
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _user(data: Mapping[str, Any]) -> PipedriveUser:
    return PipedriveUser(
        id=str(data.get("id", "")),
        name=str(data.get("name") or ""),
        email=str(data.get("email") or ""),
        is_admin=data.get("is_admin") in (True, 1),
        locale=str(data.get("locale") or "en"),
        timezone=str(data.get("timezone_name") or "UTC"),
    )


def _optional_id(value: Any) -> str:
    """v2 gives ids as numbers; v1 gave objects with `value`. Either way a string, "" for none."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    return ""


def _path_id(value: str) -> str:
    if not value.isdigit():
        raise ValueError("Pipedrive ids are numbers")
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)
