"""HubSpot's OAuth and the few API reads the card needs, over `requests`. No Flask here.

OAuth (developers.hubspot.com, "OAuth" guide): authorize at `https://app.hubspot.com/oauth/authorize` (client_id,
redirect_uri, scope, state); codes and refresh tokens are exchanged at `<api>/oauth/v1/token` (form with client_id and
client_secret); `<api>/oauth/v1/access-tokens/{token}` says which portal (`hub_id`) and user (`user_id`, `user`)
a token belongs to. Reads: CRM v3 objects (`/crm/v3/objects/{contacts|companies|deals}/{id}` with properties and
associations) and the users API (`/settings/v3/users/{id}`, whose `superAdmin` says who may connect Xero).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests

from plugin.domain.text import N_
from plugin.embed.context import LinkedRecord
from plugin.hosts.hubspot import CrmObject, HubSpotUser

DEFAULT_API_URL = "https://api.hubapi.com"
DEFAULT_AUTHORIZE_URL = "https://app.hubspot.com/oauth/authorize"
SCOPES = "oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read settings.users.read"


class HubSpotError(Exception):
    """HubSpot could not answer; `user_message` is for the card."""

    user_message = N_("HubSpot isn't answering right now. Try again in a minute.")


class HubSpotUnavailable(HubSpotError):
    """Down, timed out, 5xx, 429 or an answer that can't be read."""


class HubSpotAccessRefused(HubSpotError):
    """HubSpot refuses this portal's token (401/403 after a refresh): the app must be installed again."""

    user_message = N_("HubSpot refuses this app's access for your portal. A super admin has to install the app "
                      "again.")


class HubSpotGrantRefused(HubSpotAccessRefused):
    """The token endpoint refused the code or refresh token."""


@dataclass(frozen=True, slots=True)
class HubSpotTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"HubSpotTokens(expires_at={self.expires_at!r}, tokens=<hidden>)"


class HubSpotOAuth:
    def __init__(self, *, authorize_url: str, api_url: str, client_id: str, client_secret: str, redirect_uri: str,
                 scopes: str, http: requests.Session, timeout: float, now: Callable[[], datetime]) -> None:
        self._authorize = authorize_url
        self._api = api_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self._scopes = scopes
        self._http = http
        self._timeout = timeout
        self._now = now

    def __repr__(self) -> str:
        return f"HubSpotOAuth(api_url={self._api!r}, client_id={self._client_id!r})"

    def authorize_url(self, state: str) -> str:
        query = urllib.parse.urlencode({"client_id": self._client_id, "redirect_uri": self.redirect_uri,
                                        "scope": self._scopes, "state": state})
        return f"{self._authorize}?{query}"

    def exchange(self, code: str) -> HubSpotTokens:
        return self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri})

    def refresh(self, refresh_token: str) -> HubSpotTokens:
        tokens = self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        return tokens if tokens.refresh_token else HubSpotTokens(tokens.access_token, refresh_token, tokens.expires_at)

    def token_info(self, access_token: str) -> tuple[str, str]:
        """(portal id, user id) of an access token: which portal installed the app, and who."""
        path = f"/oauth/v1/access-tokens/{urllib.parse.quote(access_token, safe='')}"
        try:
            response = self._http.get(self._api + path, timeout=self._timeout)
        except requests.RequestException as error:
            raise HubSpotUnavailable(f"HubSpot's token info: {type(error).__name__}") from None
        body = _json(response, "token info")
        portal, user = str(body.get("hub_id") or ""), str(body.get("user_id") or "")
        if not portal.isdigit():
            raise HubSpotUnavailable("HubSpot's token info answered without a hub_id")
        return portal, user

    def _token(self, form: Mapping[str, str]) -> HubSpotTokens:
        data = {**form, "client_id": self._client_id, "client_secret": self._client_secret}
        try:
            response = self._http.post(f"{self._api}/oauth/v1/token", data=data, timeout=self._timeout,
                                       headers={"Accept": "application/json"})
        except requests.RequestException as error:
            raise HubSpotUnavailable(f"HubSpot's token endpoint: {type(error).__name__}") from None
        if response.status_code in (400, 401, 403):
            raise HubSpotGrantRefused(f"HubSpot's token endpoint refused ({response.status_code})")
        body = _json(response, "token endpoint")
        access, refresh = body.get("access_token"), body.get("refresh_token", "")
        if not isinstance(access, str) or not access or not isinstance(refresh, str):
            raise HubSpotUnavailable("HubSpot's token endpoint answered without an access token")
        expires_in = body.get("expires_in")
        numeric = isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
        return HubSpotTokens(access, refresh, self._now() + timedelta(seconds=float(expires_in) if numeric else 1800))


class HubSpotAPI:
    """Reads for one portal. `token()` gives a usable access token; `refreshed(rejected)` one more after a 401."""

    def __init__(self, *, base_url: str, token: Callable[[], str], refreshed: Callable[[str], str],
                 http: requests.Session, timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._refreshed = refreshed
        self._http = http
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"HubSpotAPI(base_url={self._base!r})"

    def user(self, user_id: str) -> HubSpotUser | None:
        data = self._get(f"/settings/v3/users/{_path_id(user_id)}")
        if data is None:
            return None
        name = " ".join(part for part in (data.get("firstName"), data.get("lastName")) if isinstance(part, str))
        return HubSpotUser(id=str(data.get("id", user_id)), email=str(data.get("email") or ""), name=name.strip(),
                           super_admin=data.get("superAdmin") is True)

    def contact(self, contact_id: str) -> CrmObject | None:
        data = self._object("contacts", contact_id, "email,firstname,lastname,company", "companies")
        if data is None:
            return None
        props = data.get("properties") or {}
        name = " ".join(str(props.get(key) or "") for key in ("firstname", "lastname")).strip()
        company = self._company_name(_first_association(data, "companies")) or str(props.get("company") or "")
        return CrmObject("0-1", str(data.get("id", contact_id)), name=name, email=str(props.get("email") or ""),
                         company=company)

    def company(self, company_id: str) -> CrmObject | None:
        data = self._object("companies", company_id, "name,domain", "")
        if data is None:
            return None
        name = str((data.get("properties") or {}).get("name") or "")
        return CrmObject("0-2", str(data.get("id", company_id)), name=name, company=name)

    def deal(self, deal_id: str) -> CrmObject | None:
        """A deal shows its company's or its contact's invoices, as the generic protocol's deals do."""
        data = self._object("deals", deal_id, "dealname", "contacts,companies")
        if data is None:
            return None
        contact_id, company_id = _first_association(data, "contacts"), _first_association(data, "companies")
        contact = self.contact(contact_id) if contact_id else None
        company = self.company(company_id) if company_id else None
        return CrmObject(
            "0-3", str(data.get("id", deal_id)), name=str((data.get("properties") or {}).get("dealname") or ""),
            email=contact.email if contact else "", company=company.name if company else "",
            account=LinkedRecord(id=company.id, name=company.name) if company else None,
            contact=LinkedRecord(id=contact.id, name=contact.name, email=contact.email) if contact else None)

    def _company_name(self, company_id: str) -> str:
        company = self.company(company_id) if company_id else None
        return company.name if company else ""

    def _object(self, kind: str, object_id: str, properties: str, associations: str) -> dict[str, Any] | None:
        query = {"properties": properties, **({"associations": associations} if associations else {})}
        data = self._get(f"/crm/v3/objects/{kind}/{_path_id(object_id)}?{urllib.parse.urlencode(query)}")
        return None if data is None or data.get("archived") is True else data

    def _get(self, path: str) -> dict[str, Any] | None:
        """The JSON object of a GET, None for 404 (deleted, or not this portal's), after one refresh on 401."""
        token = self._token()
        response = self._send(path, token)
        if response.status_code == 401:
            response = self._send(path, self._refreshed(token))
        if response.status_code in (404, 410):
            return None
        if response.status_code in (401, 403):
            raise HubSpotAccessRefused(f"HubSpot refused GET {path.split('?')[0]} ({response.status_code})")
        return _json(response, f"GET {path.split('?')[0]}")

    def _send(self, path: str, token: str) -> requests.Response:
        try:
            return self._http.get(self._base + path, timeout=self._timeout,
                                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except requests.RequestException as error:
            raise HubSpotUnavailable(f"HubSpot's GET {path.split('?')[0]}: {type(error).__name__}") from None


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise HubSpotUnavailable(f"HubSpot's {what} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise HubSpotUnavailable(f"HubSpot's {what} answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise HubSpotUnavailable(f"HubSpot's {what} answered something that is not an object")
    return body


def _first_association(data: Mapping[str, Any], kind: str) -> str:
    found = ((data.get("associations") or {}).get(kind) or {}).get("results") or []
    ids = sorted(str(item.get("id")) for item in found if isinstance(item, dict) and str(item.get("id", "")).isdigit())
    return ids[0] if ids else ""


def _path_id(value: str) -> str:
    if not value.isdigit():
        raise ValueError("HubSpot ids are numbers")
    return value
