"""Pipedrive as a host: verify the request Pipedrive makes for a custom UI panel or settings page, and map it to
the panel's one internal context. Pure: no Flask, no HTTP; the views (pipedrive_views.py) feed it.

What Pipedrive sends (custom UI extensions, https://pipedrive.readme.io/docs/custom-ui-extensions): the iframe URL
gets `id` (the frame's runtime id, for the SDK), `userId`, `companyId`, `token`, and for a panel `resource`
(`deal`, `person`, `organization`), `view` (`details`) and `selectedIds` (the record id); the SDK also reads
`theme` (`light` or `dark`). Only `token` is signed: a JWT, HS256, with the extension's JWT secret, or the app's
client secret when no JWT secret was set in Developer Hub. Its documented claims are `userId` and `companyId`;
`iat` and `exp` are not documented, so they are enforced when present (and a token is never accepted more than
MAX_TOKEN_AGE_SECONDS after its `iat`).

Trust: account and user come from the verified token only. `resource` and `selectedIds` are not signed; they only
say which record to look up, and the lookup goes through that account's own Pipedrive API access, so an id of
another company's record finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwk import OctKey

from plugin.domain.text import N_
from plugin.embed.context import EmbedContext, LinkedRecord, RecordRef, UserInfo, namespaced

HOST = "pipedrive"
ALGORITHM = "HS256"
MAX_TOKEN_AGE_SECONDS = 600
LEEWAY_SECONDS = 30
HANDOVER_SECONDS = 600  # how long the internal context we mint lives at most (it is used within seconds)
# Pipedrive resource -> the panel's record type.
RESOURCES = {"person": "contact", "organization": "account", "deal": "deal"}
NO_RECORD = {
    "person": N_("Pipedrive did not say which record this panel is for. Open a single person and try again."),
    "organization": N_("Pipedrive did not say which record this panel is for. Open a single organization and try "
                       "again."),
    "deal": N_("Pipedrive did not say which record this panel is for. Open a single deal and try again."),
}
_ID = re.compile(r"^[1-9][0-9]{0,17}$")
_FRAME_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


class PipedriveRefused(Exception):
    """Pipedrive's request was refused; `message` (marked with N_) is shown to the user in their language, `status`
    is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is looking, from the verified token only."""

    company_id: str
    user_id: str

    @property
    def account_id(self) -> str:
        return account_id(self.company_id)


@dataclass(frozen=True, slots=True)
class FrameRequest:
    """A verified request for one of our Pipedrive iframes (panel or settings)."""

    identity: Identity
    frame_id: str  # the SDK's identifier; "" when Pipedrive sent none
    theme: str  # "light" or "dark"
    resource: str = ""  # panel only: person, organization or deal
    record_id: str = ""  # panel only: selectedIds, unsigned

    @property
    def record_type(self) -> str:
        return RESOURCES[self.resource]


@dataclass(frozen=True, slots=True)
class PipedriveUser:
    id: str
    name: str
    email: str
    is_admin: bool
    locale: str = "en"
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    email: str = ""
    org_id: str = ""


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Deal:
    id: str
    title: str
    person_id: str = ""
    org_id: str = ""


def account_id(company_id: str) -> str:
    """The panel's account for a Pipedrive company: namespaced, so no other host's id can name it."""
    return namespaced(HOST, company_id)


def jwt_secret(config: Mapping[str, Any]) -> str:
    """The secret Pipedrive signs with: the extension's JWT secret, else the app's client secret (as Pipedrive
    does when no JWT secret is set in Developer Hub). Empty when neither is configured."""
    return str(config.get("PIPEDRIVE_JWT_SECRET") or "") or str(config.get("PIPEDRIVE_CLIENT_SECRET") or "")


def verify_token(token: str, *, secret: str, now: datetime, leeway: int = LEEWAY_SECONDS) -> Identity:
    """The user and company a Pipedrive token names, or PipedriveRefused saying why not."""
    if not secret:
        raise PipedriveRefused(503, N_("The Pipedrive app is not configured on this server (no JWT or client secret)."))
    if not isinstance(token, str) or not token or len(token) > 8192:
        raise PipedriveRefused(401, N_("Pipedrive did not send a sign-in token with this request. Reopen the panel "
                                       "from Pipedrive."))
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret.encode()), algorithms=[ALGORITHM])
    except UnsupportedAlgorithmError:
        raise PipedriveRefused(401, N_("The Pipedrive token is not signed the way Pipedrive signs (HS256).")) from None
    except BadSignatureError:
        raise PipedriveRefused(
            401, N_("The Pipedrive token's signature does not match this app's secret: it was not signed by "
                    "Pipedrive for this app.")) from None
    except (JoseError, ValueError, TypeError):
        raise PipedriveRefused(
            401, N_("The Pipedrive token could not be read. Reopen the panel from Pipedrive.")) from None
    claims = decoded.claims
    if decoded.header.get("alg") != ALGORITHM or not isinstance(claims, dict):
        raise PipedriveRefused(401, N_("The Pipedrive token is not signed the way Pipedrive signs (HS256)."))
    _check_times(claims, now=now.timestamp(), leeway=leeway)
    return Identity(company_id=_id_claim(claims, "companyId"), user_id=_id_claim(claims, "userId"))


def read_frame_request(args: Mapping[str, str], *, secret: str, now: datetime, panel: bool) -> FrameRequest:
    """Verify the query Pipedrive puts on our iframe URL. For a panel, also read which record it is about."""
    identity = verify_token(args.get("token", ""), secret=secret, now=now)
    for name, claimed in (("companyId", identity.company_id), ("userId", identity.user_id)):
        sent = args.get(name)
        if sent is not None and sent != claimed:
            raise PipedriveRefused(
                401, N_("The request's %(name)s does not match the one Pipedrive signed. Reopen the panel from "
                        "Pipedrive.", name=name))
    frame_id = args.get("id", "")
    if frame_id and not _FRAME_ID.match(frame_id):
        raise PipedriveRefused(400, N_("Pipedrive's frame id is not valid. Reopen the panel from Pipedrive."))
    theme = "dark" if args.get("theme") == "dark" else "light"
    if not panel:
        return FrameRequest(identity=identity, frame_id=frame_id, theme=theme)
    resource = args.get("resource", "")
    if resource not in RESOURCES:
        raise PipedriveRefused(400, N_("This panel shows on deal, person and organization pages only."))
    selected = [part for part in args.get("selectedIds", "").split(",") if part]
    if len(selected) != 1 or not _ID.match(selected[0]):
        raise PipedriveRefused(400, NO_RECORD[resource])
    return FrameRequest(identity=identity, frame_id=frame_id, theme=theme, resource=resource, record_id=selected[0])


def user_info(user: PipedriveUser) -> UserInfo:
    return UserInfo(
        id=user.id,
        email=user.email or f"user-{user.id}@pipedrive.invalid",
        name=user.name,
        role="admin" if user.is_admin else "member",
        locale=bcp47(user.locale),
        timezone=user.timezone or "UTC",
    )


def person_record(person: Person, organization: Organization | None) -> RecordRef:
    return RecordRef(type="contact", id=person.id, name=person.name, email=person.email,
                     company=organization.name if organization else "")


def organization_record(organization: Organization) -> RecordRef:
    return RecordRef(type="account", id=organization.id, name=organization.name, company=organization.name)


def deal_record(deal: Deal, person: Person | None, organization: Organization | None) -> RecordRef:
    """A deal shows its organization's or its person's invoices, as the generic protocol's deals do."""
    return RecordRef(
        type="deal",
        id=deal.id,
        name=deal.title,
        email=person.email if person else "",
        company=organization.name if organization else "",
        account=LinkedRecord(id=organization.id, name=organization.name) if organization else None,
        contact=LinkedRecord(id=person.id, name=person.name, email=person.email) if person else None,
    )


def context_for(identity: Identity, user: PipedriveUser, record: RecordRef | None, *, jti: str,
                now: datetime) -> EmbedContext:
    """The internal context. The settings surface has no record: it carries a placeholder the admin pages ignore."""
    if user.id != identity.user_id:
        raise PipedriveRefused(401, N_("Pipedrive's user does not match the signed token. Reopen the panel from "
                                       "Pipedrive."))
    return EmbedContext(
        account_id=identity.account_id,
        user=user_info(user),
        record=record or RecordRef(type="account", id="settings"),
        jti=jti,
        expires_at=datetime.fromtimestamp(now.timestamp() + HANDOVER_SECONDS, UTC),
        host=HOST,
    )


def bcp47(locale: str) -> str:
    """Pipedrive's `en_US` as `en-US` (what Babel and the panel's formatting take)."""
    cleaned = (locale or "").replace("_", "-").strip()
    return cleaned if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", cleaned) else "en"


def _check_times(claims: Mapping[str, Any], *, now: float, leeway: int) -> None:
    if "exp" in claims:
        exp = _time(claims, "exp")
        if now > exp + leeway:
            raise PipedriveRefused(401, N_("The Pipedrive token has expired. Reopen the panel from Pipedrive."))
    if "iat" in claims:
        iat = _time(claims, "iat")
        if iat > now + leeway:
            raise PipedriveRefused(401, N_("The Pipedrive token was issued in the future; check this server's clock."))
        if now - iat > MAX_TOKEN_AGE_SECONDS + leeway:
            raise PipedriveRefused(401, N_("The Pipedrive token is more than 10 minutes old. Reopen the panel from "
                                       "Pipedrive."))


def _time(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PipedriveRefused(401, N_("The Pipedrive token's '%(name)s' is not a time.", name=name))
    return float(value)


def _id_claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _ID.match(value):
        raise PipedriveRefused(401, N_("The Pipedrive token has no '%(name)s'. Reopen the panel from Pipedrive.",
                                       name=name))
    return value
