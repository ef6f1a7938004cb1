"""Salesforce's REST API, as the panel uses it: read a Contact, Account or Opportunity (with its primary contact),
and whether the signed-in user has the app's admin permission set. Every call uses the canvas envelope's own
`client.oauthToken` against its `client.instanceUrl`, so it sees exactly what that user may see.

Reads (REST API, `/services/data/v<version>/`):
- `sobjects/{Contact|Account|Opportunity}/{id}?fields=...`: a record, 404 when it is deleted or not visible;
- `query?q=SELECT ContactId FROM OpportunityContactRole WHERE OpportunityId = '<id>' AND IsPrimary = true LIMIT 1`:
  an opportunity's primary contact role (else the opportunity's own `ContactId`);
- `query?q=SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '<id>' AND PermissionSet.Name = '<name>'
  LIMIT 1`: the admin check. Since Summer '20 only users with View Setup and Configuration, Assign Permission Sets
  or Manage Users may read PermissionSetAssignment; anyone else gets an error, which counts as "not an admin".
Ids and names are validated before they are put in a query, so nothing from the request can change it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from plugin.domain.text import N_
from plugin.hosts.salesforce import Account, Client, Contact, Opportunity, valid_id

DEFAULT_API_VERSION = "62.0"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_VERSION = re.compile(r"^[0-9]{2,3}\.0$")


class SalesforceError(Exception):
    """Salesforce could not be asked or would not answer; `user_message` is for the page."""

    user_message = N_("Salesforce didn't answer. Reload the page in a moment.")
    status = 503


class SalesforceUnavailable(SalesforceError):
    pass


class SalesforceSessionEnded(SalesforceError):
    """401: the envelope's OAuth token is no longer valid (the Salesforce session ended, or the envelope is old)."""

    user_message = N_("Your Salesforce session behind this panel has ended. Reload the Salesforce page.")
    status = 401


class SalesforceAccessRefused(SalesforceError):
    """403: Salesforce refuses this user or this app the read (API access, object permissions)."""

    user_message = N_("Salesforce refused this app access to the record. Check that the connected app has the "
                      "'api' scope and that your profile may use the API and read Contacts, Accounts and "
                      "Opportunities.")
    status = 403


@dataclass(frozen=True, slots=True)
class SalesforceAPI:
    client: Client
    http: requests.Session
    version: str = DEFAULT_API_VERSION
    timeout: float = 10.0

    def contact(self, record_id: str) -> Contact | None:
        data = self._record("Contact", record_id, "Id,Name,Email,AccountId")
        if data is None:
            return None
        return Contact(id=str(data.get("Id") or record_id), name=str(data.get("Name") or ""),
                       email=str(data.get("Email") or ""), account_id=_id(data.get("AccountId")))

    def account(self, record_id: str) -> Account | None:
        data = self._record("Account", record_id, "Id,Name")
        if data is None:
            return None
        return Account(id=str(data.get("Id") or record_id), name=str(data.get("Name") or ""))

    def opportunity(self, record_id: str) -> Opportunity | None:
        data = self._record("Opportunity", record_id, "Id,Name,AccountId,ContactId")
        if data is None:
            return None
        return Opportunity(id=str(data.get("Id") or record_id), name=str(data.get("Name") or ""),
                           account_id=_id(data.get("AccountId")), contact_id=_id(data.get("ContactId")))

    def primary_contact_id(self, opportunity_id: str) -> str:
        """The contact of the opportunity's primary contact role; "" when it has none."""
        _require_id(opportunity_id)
        soql = (f"SELECT ContactId FROM OpportunityContactRole WHERE OpportunityId = '{opportunity_id}' "  # noqa: S608
                "AND IsPrimary = true LIMIT 1")  # the id was checked to be 15 or 18 letters and digits
        body = self._query(soql, "opportunity contact roles")
        records = body.get("records") if body else None
        if isinstance(records, list) and records and isinstance(records[0], dict):
            return _id(records[0].get("ContactId"))
        return ""

    def has_permission_set(self, user_id: str, permission_set: str) -> bool:
        """Whether the user is assigned the permission set (API name). A refusal to read assignments means no."""
        _require_id(user_id)
        if not _NAME.match(permission_set):
            raise ValueError("a permission set's API name is letters, digits and underscores")
        soql = (f"SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '{user_id}' "  # noqa: S608
                f"AND PermissionSet.Name = '{permission_set}' LIMIT 1")  # both checked above: no quotes possible
        body = self._query(soql, "permission sets", refusal_is_empty=True)
        return bool(body) and int(body.get("totalSize") or 0) > 0

    # -- the wire ------------------------------------------------------------------------------------------------

    def _base(self) -> str:
        if not _VERSION.match(self.version):
            raise ValueError("SALESFORCE_API_VERSION is like 62.0")
        return f"{self.client.instance_url}/services/data/v{self.version}"

    def _record(self, object_name: str, record_id: str, fields: str) -> dict[str, Any] | None:
        _require_id(record_id)
        response = self._get(f"{self._base()}/sobjects/{object_name}/{quote(record_id)}", {"fields": fields},
                             what=object_name)
        if response.status_code == 404:
            return None
        if response.status_code == 400 and _error_code(response) in ("MALFORMED_ID", "INVALID_ID_FIELD"):
            return None  # an id of another object type or org
        return _json(response, object_name)

    def _query(self, soql: str, what: str, *, refusal_is_empty: bool = False) -> dict[str, Any] | None:
        response = self._get(f"{self._base()}/query", {"q": soql}, what=what, refusal_ok=refusal_is_empty)
        if refusal_is_empty and response.status_code in (400, 403, 404):
            return None  # e.g. INVALID_TYPE / INSUFFICIENT_ACCESS: this user may not read the object
        return _json(response, what)

    def _get(self, url: str, params: dict[str, str], *, what: str, refusal_ok: bool = False) -> requests.Response:
        try:
            response = self.http.get(url, params=params, timeout=self.timeout, allow_redirects=False, headers={
                "Authorization": f"Bearer {self.client.oauth_token}", "Accept": "application/json"})
        except requests.RequestException as error:
            raise SalesforceUnavailable(f"Salesforce's {what} read failed: {type(error).__name__}") from None
        if response.status_code == 401:
            raise SalesforceSessionEnded(f"Salesforce's {what} read answered 401")
        if response.status_code == 403 and not refusal_ok:
            raise SalesforceAccessRefused(f"Salesforce's {what} read answered 403")
        return response


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 300:
        raise SalesforceUnavailable(f"Salesforce's {what} read answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise SalesforceUnavailable(f"Salesforce's {what} read answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise SalesforceUnavailable(f"Salesforce's {what} read answered something that is not an object")
    return body


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode") or "")
    return ""


def _id(value: Any) -> str:
    return value if isinstance(value, str) and valid_id(value) else ""


def _require_id(value: str) -> None:
    if not valid_id(value):
        raise ValueError("not a Salesforce id")
