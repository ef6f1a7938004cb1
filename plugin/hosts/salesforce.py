"""Salesforce Canvas as a host: verify the `signed_request` Canvas POSTs to our canvas URL, and map it to the panel's
one internal context. Pure: no Flask, no HTTP; the views (salesforce_views.py) feed it, and salesforce_api.py reads
the record and the user's permission set from Salesforce's REST API.

What Canvas sends (Canvas Developer Guide, "Signed Request Authentication" and "CanvasRequest"): a form field
`signed_request` = `<signature>.<envelope>`, both standard base64 (`+`, `/`, `=` padding), where the signature is
HMAC-SHA256 of the *encoded* envelope string, keyed with the connected app's consumer secret. The envelope is JSON:
`algorithm` ("HMACSHA256"), `issuedAt`, `userId`, `client{instanceUrl, oauthToken, targetOrigin, ...}` and
`context{user{userId, email, fullName, locale, timeZone, ...}, organization{organizationId, name, ...},
environment{displayLocation, parameters{...}, record{attributes{type}, Id}, ...}}`.

The envelope has no expiry of its own, so it is good for one thing only: it is verified once, and at once exchanged
for our own single-use, one-minute hand-over (plugin.embed.session.issue_handover). A replayed envelope is also
bounded by its `oauthToken`: the record and the user's permissions are read with it, and Salesforce refuses a
token whose session has ended.

Trust: the account (`salesforce:<organizationId>`) and the user come from the verified envelope only. The record id
comes from `environment.record.Id` (a Visualforce or page-layout canvas) or `environment.parameters.recordId` (what
our Lightning wrapper passes); parameters are filled in by the Lightning page in the browser, so they only say which
record to look up, and the lookup goes through Salesforce's REST API with the user's own token: a record the user
can't see is not found.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from plugin.domain.text import N_
from plugin.embed.context import EmbedContext, LinkedRecord, RecordRef, UserInfo, namespaced

HOST = "salesforce"
ALGORITHM = "HMACSHA256"
HANDOVER_SECONDS = 600  # how long the internal context we mint lives at most (it is used within seconds)
MAX_SIGNED_REQUEST = 64 * 1024
# Salesforce object -> the panel's record type.
OBJECTS = {"Contact": "contact", "Account": "account", "Opportunity": "deal"}
# The standard objects' id prefixes, for a Lightning wrapper that passes a record id without its object name.
KEY_PREFIXES = {"003": "Contact", "001": "Account", "006": "Opportunity"}
VIEWS = ("panel", "settings")
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_OBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")



class SalesforceRefused(Exception):
    """The canvas request was refused; `message` (marked with N_) is shown to the user in their language, `status`
    is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Client:
    """Where and how to call Salesforce's REST API for this user (from the verified envelope)."""

    instance_url: str
    oauth_token: str

    def __repr__(self) -> str:  # the token never reaches a log line through a repr
        return f"Client(instance_url={self.instance_url!r}, oauth_token='***')"


@dataclass(frozen=True, slots=True)
class CanvasUser:
    id: str
    email: str
    name: str
    locale: str = "en"
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class CanvasRequest:
    """A verified canvas request: who (organization, user), the API access, and what to show."""

    organization_id: str
    user: CanvasUser
    client: Client
    view: str  # panel or settings
    object_name: str = ""  # panel only: Contact, Account or Opportunity
    record_id: str = ""  # panel only

    @property
    def account_id(self) -> str:
        return account_id(self.organization_id)

    @property
    def record_type(self) -> str:
        return OBJECTS[self.object_name]


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str
    email: str = ""
    account_id: str = ""


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Opportunity:
    id: str
    name: str
    account_id: str = ""
    contact_id: str = ""


def account_id(organization_id: str) -> str:
    """The panel's account for a Salesforce org: namespaced, so no other host's id can name it."""
    return namespaced(HOST, organization_id)


def verify_signed_request(signed_request: str, *, secret: str) -> dict[str, Any]:
    """The envelope of a Canvas signed request, or SalesforceRefused saying why not. Split on the first dot; the
    signature is HMAC-SHA256 of the encoded envelope as sent, compared in constant time; both parts are standard
    base64, as Canvas sends them."""
    if not secret:
        raise SalesforceRefused(503, N_("The Salesforce canvas app is not configured on this server (no consumer "
                                   "secret)."))
    if not isinstance(signed_request, str) or not signed_request.strip():
        raise SalesforceRefused(400, N_("Salesforce did not send a signed request. This page opens only inside "
                                   "Salesforce, as a canvas app."))
    if len(signed_request) > MAX_SIGNED_REQUEST:
        raise SalesforceRefused(400, N_("Salesforce's signed request is too large to be one."))
    signature_part, dot, envelope_part = signed_request.strip().partition(".")
    if not dot or not signature_part or not envelope_part:
        raise SalesforceRefused(400, N_("Salesforce's signed request is not in Canvas's format. Reload the Salesforce "
                                   "page to open the panel again."))
    if not _BASE64.match(signature_part) or not _BASE64.match(envelope_part):
        raise SalesforceRefused(400, N_("Salesforce's signed request is not standard base64 (Canvas sends '+', '/' "
                                   "and '=' padding; this one looks like base64url or is damaged)."))
    signature = _b64decode(signature_part)
    expected = hmac.new(secret.encode(), envelope_part.encode("ascii"), hashlib.sha256).digest()
    if signature is None or not hmac.compare_digest(signature, expected):
        raise SalesforceRefused(401, N_("The signed request's signature does not match this app's consumer secret: "
                                   "it was not signed by Salesforce for this connected app."))
    raw = _b64decode(envelope_part)
    try:
        envelope = json.loads(raw.decode("utf-8")) if raw is not None else None
    except (UnicodeDecodeError, ValueError):
        envelope = None
    if not isinstance(envelope, dict):
        raise SalesforceRefused(400, N_("Salesforce's signed request could not be read. Reload the Salesforce page to "
                                   "open the panel again."))
    if str(envelope.get("algorithm", "")).upper() != ALGORITHM:
        raise SalesforceRefused(401, N_("The signed request does not say it is signed with HMACSHA256, the way "
                                   "Canvas signs."))
    return envelope


def read_canvas_request(envelope: Mapping[str, Any]) -> CanvasRequest:
    """Who the verified envelope names, its API access, and the record (or the settings surface) it asks for."""
    context = _object(envelope, "context")
    organization = _object(context, "organization")
    org_id = str(organization.get("organizationId") or "")
    if not _ID.match(org_id) or not org_id.startswith("00D"):
        raise SalesforceRefused(400, N_("Salesforce did not say which organization this is. Reload the Salesforce page "
                                   "to open the panel again."))
    user = _user(_object(context, "user"))
    top_user = envelope.get("userId")
    if top_user is not None and str(top_user)[:15] != user.id[:15]:  # an 18-character id extends the 15-character one
        raise SalesforceRefused(400, N_("The signed request names two different users. Reload the Salesforce page to "
                                   "open the panel again."))
    client = _client(_object(envelope, "client"))
    environment = _object(context, "environment")
    parameters = environment.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    view = str(parameters.get("view") or "panel")
    if view not in VIEWS:
        raise SalesforceRefused(400, N_("The canvas's 'view' parameter must be 'panel' or 'settings'."))
    if view == "settings":
        return CanvasRequest(organization_id=org_id, user=user, client=client, view=view)
    object_name, record_id = _record(environment, parameters)
    return CanvasRequest(organization_id=org_id, user=user, client=client, view=view, object_name=object_name,
                         record_id=record_id)


def instance_url_allowed(instance_url: str, patterns: str) -> bool:
    """Whether the envelope's instanceUrl is one of the origins we call (SALESFORCE_API_ORIGINS: exact origins, or
    `https://*.domain`). The envelope is signed, but the token goes only where Salesforce's API lives."""
    parts = urlsplit(instance_url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        return False
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    for pattern in patterns.replace(",", " ").split():
        pattern = pattern.lower().rstrip("/")
        if "://*." in pattern:
            scheme, _, domain = pattern.partition("://*.")
            if parts.scheme == scheme and parts.port is None and (parts.hostname or "").endswith("." + domain):
                return True
        elif origin == pattern:
            return True
    return False


def user_info(user: CanvasUser, *, is_admin: bool) -> UserInfo:
    return UserInfo(id=user.id, email=user.email or f"user-{user.id}@salesforce.invalid", name=user.name,
                    role="admin" if is_admin else "member", locale=user.locale, timezone=user.timezone)


def contact_record(contact: Contact, account: Account | None) -> RecordRef:
    return RecordRef(type="contact", id=contact.id, name=contact.name, email=contact.email,
                     company=account.name if account else "")


def account_record(account: Account) -> RecordRef:
    return RecordRef(type="account", id=account.id, name=account.name, company=account.name)


def opportunity_record(opportunity: Opportunity, contact: Contact | None, account: Account | None) -> RecordRef:
    """An opportunity shows its account's or its primary contact's invoices, as the generic protocol's deals do."""
    return RecordRef(
        type="deal",
        id=opportunity.id,
        name=opportunity.name,
        email=contact.email if contact else "",
        company=account.name if account else "",
        account=LinkedRecord(id=account.id, name=account.name) if account else None,
        contact=LinkedRecord(id=contact.id, name=contact.name, email=contact.email) if contact else None,
    )


def context_for(request: CanvasRequest, record: RecordRef | None, *, is_admin: bool, jti: str,
                now: datetime) -> EmbedContext:
    """The internal context. The settings surface has no record: it carries a placeholder the admin pages ignore."""
    return EmbedContext(
        account_id=request.account_id,
        user=user_info(request.user, is_admin=is_admin),
        record=record or RecordRef(type="account", id="settings"),
        jti=jti,
        expires_at=datetime.fromtimestamp(now.timestamp() + HANDOVER_SECONDS, UTC),
        host=HOST,
    )


def bcp47(locale: str) -> str:
    """Salesforce's `en_US` as `en-US` (what Babel and the panel's formatting take)."""
    cleaned = (locale or "").replace("_", "-").strip()
    return cleaned if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", cleaned) else "en"


def valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def _record(environment: Mapping[str, Any], parameters: Mapping[str, Any]) -> tuple[str, str]:
    record = environment.get("record")
    record = record if isinstance(record, dict) else {}
    attributes = record.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    record_id = str(record.get("Id") or parameters.get("recordId") or "")
    if not record_id:
        raise SalesforceRefused(400, N_("Salesforce did not say which record this panel is for. Place the panel on "
                                   "a Contact, Account or Opportunity record page (the Lightning component passes "
                                   "the record id)."))
    if not _ID.match(record_id):
        raise SalesforceRefused(400, N_("The record id Salesforce sent is not a Salesforce id. Reload the Salesforce "
                                   "page to open the panel again."))
    object_name = str(attributes.get("type") or parameters.get("sObjectName") or "") \
        or KEY_PREFIXES.get(record_id[:3], "")
    if object_name not in OBJECTS:
        if _OBJECT_NAME.match(object_name):
            raise SalesforceRefused(400, N_("Xero invoices shows on Contact, Account and Opportunity pages only, not "
                                       "on %(object)s.", object=object_name))
        raise SalesforceRefused(400, N_("Xero invoices shows on Contact, Account and Opportunity pages only, not on "
                                   "this kind of record."))
    return object_name, record_id


def _user(user: Mapping[str, Any]) -> CanvasUser:
    user_id = str(user.get("userId") or "")
    if not _ID.match(user_id):
        raise SalesforceRefused(400, N_("Salesforce did not say who is signed in. Reload the Salesforce page to open "
                                   "the panel again."))
    name = str(user.get("fullName") or "") or " ".join(
        str(user.get(part) or "") for part in ("firstName", "lastName")).strip() or str(user.get("userName") or "")
    return CanvasUser(id=user_id, email=str(user.get("email") or ""), name=name,
                      locale=bcp47(str(user.get("locale") or user.get("language") or "")),
                      timezone=str(user.get("timeZone") or "UTC"))


def _client(client: Mapping[str, Any]) -> Client:
    instance_url = str(client.get("instanceUrl") or "").rstrip("/")
    token = str(client.get("oauthToken") or "")
    if not instance_url or not token:
        raise SalesforceRefused(400, N_("Salesforce sent no API access with the signed request. In the connected "
                                   "app, set the canvas app's access method to Signed Request (POST) and give it "
                                   "the 'api' OAuth scope."))
    return Client(instance_url=instance_url, oauth_token=token)


def _object(parent: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise SalesforceRefused(400, N_("Salesforce's signed request has no '%(name)s'. Reload the Salesforce page to "
                                   "open the panel again.", name=name))
    return value


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
