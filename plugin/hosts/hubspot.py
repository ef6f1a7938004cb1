"""HubSpot as a host: verify the v3 signature HubSpot puts on an app card's `hubspot.fetch` request, and map the
signed request to the panel's one internal context. Pure: no Flask, no HTTP; the views (hubspot_views.py) feed it.

The v3 signature (developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation):
`X-HubSpot-Signature-v3` is base64(HMAC-SHA256(client secret, method + URI + body + timestamp)), UTF-8, where the
timestamp is `X-HubSpot-Request-Timestamp` (milliseconds since the epoch; refused when older than 5 minutes) and the
URI is the full URL HubSpot requested (scheme, host, path and query) with only these escapes decoded: %3A : %2F /
%3F ? %40 @ %21 ! %24 $ %27 ' %28 ( %29 ) %2A * %2C , %3B ; (every other escape, e.g. %20 or %26, stays encoded).

What the request names: the card sends the portal, user and record in its JSON body (`portalId`, `userId`,
`userEmail`, `objectId`, `objectTypeId`, and the user's `locale` and the portal's `timezone`), all covered by the
signature. HubSpot may also put `portalId`, `userId`, `userEmail` and `appId` on the query string (also signed);
when a value is in both places they must agree, and the query's wins. The account is `hubspot:<portalId>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plugin.domain.text import N_
from plugin.embed.context import EmbedContext, LinkedRecord, RecordRef, UserInfo, namespaced

HOST = "hubspot"
SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
MAX_AGE_MS = 5 * 60 * 1000
FUTURE_LEEWAY_MS = 60 * 1000
HANDOVER_SECONDS = 600
# HubSpot's objectTypeId -> the panel's record type (0-1 contacts, 0-2 companies, 0-3 deals).
OBJECT_TYPES = {"0-1": "contact", "0-2": "account", "0-3": "deal"}
OBJECT_NAMES = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "contact": "0-1", "company": "0-2",
                "deal": "0-3", "CONTACT": "0-1", "COMPANY": "0-2", "DEAL": "0-3"}
# The escapes HubSpot decodes before signing; every other one is signed as sent.
DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'", "%28": "(",
           "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}
_ESCAPE = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)
_ID = re.compile(r"^[1-9][0-9]{0,19}$")


class HubSpotRefused(Exception):
    """HubSpot's request was refused; `message` (marked with N_) is shown in the card in the user's language,
    `status` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class CardRequest:
    """A verified card request: who (from the signed request) and which record (also signed)."""

    portal_id: str
    user_id: str
    user_email: str
    object_id: str
    object_type_id: str
    locale: str = "en"
    timezone: str = "UTC"

    @property
    def account_id(self) -> str:
        return account_id(self.portal_id)

    @property
    def record_type(self) -> str:
        return OBJECT_TYPES[self.object_type_id]


@dataclass(frozen=True, slots=True)
class HubSpotUser:
    id: str
    email: str
    name: str = ""
    super_admin: bool = False


@dataclass(frozen=True, slots=True)
class CrmObject:
    """A contact, company or deal as the card needs it (read from HubSpot's CRM API with the portal's token)."""

    type_id: str
    id: str
    name: str = ""
    email: str = ""
    company: str = ""
    account: LinkedRecord | None = None
    contact: LinkedRecord | None = None


def account_id(portal_id: str) -> str:
    """The panel's account for a HubSpot portal: namespaced, so no other host's id can name it."""
    return namespaced(HOST, portal_id)


def signed_uri(uri: str) -> str:
    """The URI as HubSpot writes it into the signed string: only the listed escapes decoded."""
    return _ESCAPE.sub(lambda found: DECODED[found.group(0).upper()], uri)


def expected_signature(secret: str, *, method: str, uri: str, body: bytes, timestamp: str) -> str:
    source = method.upper().encode() + signed_uri(uri).encode("utf-8") + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode("utf-8"), source, hashlib.sha256).digest()).decode()


def verify_signature(*, secret: str, method: str, uri: str, body: bytes, signature: str | None,
                     timestamp: str | None, now: datetime) -> None:
    """Accept a request HubSpot signed (v3) within the last 5 minutes, or raise HubSpotRefused saying why not."""
    if not secret:
        raise HubSpotRefused(503, N_("The HubSpot app is not configured on this server (no client secret)."))
    if not signature or not timestamp:
        raise HubSpotRefused(401, N_("This request is not signed by HubSpot (no v3 signature)."))
    if not timestamp.isdigit() or len(timestamp) > 16:
        raise HubSpotRefused(401, N_("HubSpot's request timestamp is not a time."))
    age = now.timestamp() * 1000 - int(timestamp)
    if age > MAX_AGE_MS:
        raise HubSpotRefused(401, N_("HubSpot's request is more than 5 minutes old. Reload the HubSpot record to try "
                                   "again."))
    if age < -FUTURE_LEEWAY_MS:
        raise HubSpotRefused(401, N_("HubSpot's request is dated in the future; check this server's clock."))
    wanted = expected_signature(secret, method=method, uri=uri, body=body, timestamp=timestamp)
    if not hmac.compare_digest(wanted.encode(), signature.strip().encode()):
        raise HubSpotRefused(401, N_("The request's HubSpot signature does not match: it was not signed by HubSpot "
                                "for this app, or it was changed on the way."))


def read_card_request(query: Mapping[str, str], body: Mapping[str, Any], *, app_id: str = "") -> CardRequest:
    """Who and which record a verified request names (query and body are both signed)."""
    def value(name: str) -> str:
        sent_query, sent_body = query.get(name), body.get(name)
        text_body = str(sent_body) if isinstance(sent_body, int | str) and not isinstance(sent_body, bool) else None
        if sent_query is not None and text_body is not None and sent_query != text_body:
            raise HubSpotRefused(401, N_("The request names two different %(name)s values. Reload the HubSpot "
                                         "record to try again.", name=name))
        return (sent_query if sent_query is not None else text_body or "").strip()

    sent_app = query.get("appId", "")
    if app_id and sent_app and sent_app != app_id:
        raise HubSpotRefused(401, N_("This request was made for another HubSpot app."))
    portal_id, user_id, object_id = value("portalId"), value("userId"), value("objectId")
    for name, found in (("portalId", portal_id), ("userId", user_id)):
        if not _ID.match(found):
            raise HubSpotRefused(400, N_("HubSpot's request has no %(name)s. Reload the HubSpot record to try again.",
                                          name=name))
    type_id = OBJECT_NAMES.get(value("objectTypeId"), value("objectTypeId"))
    if type_id not in OBJECT_TYPES:
        raise HubSpotRefused(400, N_("This card shows on contact, company and deal records only."))
    if not _ID.match(object_id):
        raise HubSpotRefused(400, N_("HubSpot did not say which record this card is for. Reload the HubSpot record to "
                                   "try again."))
    email = value("userEmail")[:320]
    return CardRequest(portal_id=portal_id, user_id=user_id, user_email=email, object_id=object_id,
                       object_type_id=type_id, locale=bcp47(value("locale")), timezone=_zone(value("timezone")))


def user_info(request: CardRequest, user: HubSpotUser) -> UserInfo:
    """Admin is what HubSpot says: a super admin of the portal (the users API's `superAdmin`)."""
    return UserInfo(
        id=request.user_id,
        email=request.user_email or user.email or f"user-{request.user_id}@hubspot.invalid",
        name=user.name or user.email,
        role="admin" if user.super_admin else "member",
        locale=request.locale,
        timezone=request.timezone,
    )


def record_ref(crm: CrmObject) -> RecordRef:
    record_type = OBJECT_TYPES[crm.type_id]
    company = crm.company or (crm.name if record_type == "account" else "")
    return RecordRef(type=record_type, id=crm.id, name=crm.name, email=crm.email, company=company,
                     account=crm.account if record_type == "deal" else None,
                     contact=crm.contact if record_type == "deal" else None)


def context_for(request: CardRequest, user: HubSpotUser, record: RecordRef, *, jti: str,
                now: datetime) -> EmbedContext:
    if user.id != request.user_id:
        raise HubSpotRefused(401, N_("HubSpot's user does not match the signed request. Reload the HubSpot record "
                                     "to try again."))
    return EmbedContext(
        account_id=request.account_id,
        user=user_info(request, user),
        record=record,
        jti=jti,
        expires_at=datetime.fromtimestamp(now.timestamp() + HANDOVER_SECONDS, UTC),
        host=HOST,
    )


def bcp47(locale: str) -> str:
    cleaned = (locale or "").replace("_", "-").strip()
    return cleaned if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", cleaned) else "en"


def _zone(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", name or "") else "UTC"
