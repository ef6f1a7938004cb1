"""The signed embedding context the CRM puts in the iframe URL: a JWT, HS256, with a shared secret.

joserfc does the JWS work (it is Authlib's own successor for JOSE, already installed with Authlib, and
`authlib.jose` is deprecated): it takes an explicit algorithm allow-list and refuses `none`. The
claim rules of this product (lifetime cap, iat not in the future, required user and record fields,
single use) are checked here, each failure turned into a `ContextError` with a plain-words message.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwk import OctKey

from plugin.domain.clock import Clock
from plugin.domain.text import N_

ALGORITHM = "HS256"
MAX_LIFETIME_SECONDS = 600
LEEWAY_SECONDS = 30
MIN_SECRET_LENGTH = 16  # 128 bits of a random secret; shorter ones are a configuration mistake
ROLES = ("admin", "member")
RECORD_TYPES = ("contact", "account", "deal")
MAX_TEXT = 500
# Accounts are namespaced by host at this boundary: a host in plugin/hosts names its accounts `<host>:<id>`
# (pipedrive:<companyId>); the generic host (this signed context) keeps bare ids, which may not contain the
# separator, so no id from one host can name another host's account.
NAMESPACE_SEPARATOR = ":"


def namespaced(host: str, local_id: str) -> str:
    """The panel's account for a host's own account id (`pipedrive:<companyId>`): the one place the form is made."""
    return f"{host}{NAMESPACE_SEPARATOR}{local_id}"
MIN_TIME, MAX_TIME = 0, 253_402_300_799  # 1970-01-01 .. 9999-12-31T23:59:59Z, what datetime can hold


class ContextError(Exception):
    """The context (or panel session) was refused. `status` is 401 or 403; `message` is for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignatureMismatch(ContextError):
    """Signed, but not with this secret (or tampered with)."""


class ReplayGuard(Protocol):
    def first_use(self, jti: str, expires_at: datetime) -> bool:
        """Remember `jti` until it expires; True the first time it is seen, False after."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    email: str
    name: str
    role: str
    locale: str = "en"
    timezone: str = "UTC"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class LinkedRecord:
    """A deal's account or contact (a contact may name its company)."""

    id: str
    name: str = ""
    email: str = ""
    company: str = ""


@dataclass(frozen=True, slots=True)
class RecordRef:
    type: str
    id: str
    name: str = ""
    email: str = ""
    company: str = ""
    account: LinkedRecord | None = None
    contact: LinkedRecord | None = None


@dataclass(frozen=True, slots=True)
class EmbedContext:
    account_id: str
    user: UserInfo
    record: RecordRef
    jti: str
    expires_at: datetime
    host: str = "generic"  # which host verified it: generic (our signed context) or a CRM in plugin/hosts


def signing_key(secret: str) -> OctKey:
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the context secret must be at least {MIN_SECRET_LENGTH} characters")
    return OctKey.import_key(secret.encode())


def encode_context(claims: Mapping[str, Any], secret: str, *, clock: Clock, ttl: int = MAX_LIFETIME_SECONDS) -> str:
    """Sign `claims` (account, user, record, iss, aud) as a context; iat, exp and jti are filled in if absent."""
    now = int(clock.now().timestamp())
    payload = {"iat": now, "exp": now + ttl, "jti": secrets.token_urlsafe(16), **claims}
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, payload, signing_key(secret), algorithms=[ALGORITHM])


def verify_context(
    token: str,
    *,
    secret: str | Sequence[str],
    issuer: str,
    audience: str,
    clock: Clock,
    replay_guard: ReplayGuard,
    leeway: int = LEEWAY_SECONDS,
) -> EmbedContext:
    """Check a CRM context and return what it says, or raise ContextError saying what is wrong.

    `secret` may be several secrets (newest first) while the CRM and this app rotate: any one may have signed.
    """
    claims = _decode_with_any(token, [secret] if isinstance(secret, str) else list(secret))
    _check_registered_claims(claims, issuer=issuer, audience=audience, now=clock.now(), leeway=leeway)
    context = context_from_claims(claims, host="generic")
    if NAMESPACE_SEPARATOR in context.account_id:
        raise ContextError(401, N_("The CRM context's 'account' claim may not contain ':' (it marks other CRM hosts' "
                           "accounts, e.g. pipedrive:<companyId>)."))
    if not replay_guard.first_use(context.jti, context.expires_at):
        raise ContextError(401, N_("This CRM link was already used. Reopen the panel from the CRM."))
    return context


def _decode_with_any(token: str, candidates: list[str]) -> dict[str, Any]:
    """Try each secret in turn; only a signature mismatch moves on to the next, any other refusal stands."""
    for candidate in candidates[:-1]:
        try:
            return decode_hs256(token, candidate)
        except SignatureMismatch:
            continue
    return decode_hs256(token, candidates[-1])


def decode_hs256(token: str, secret: str) -> dict[str, Any]:
    """The claims of an HS256 JWS signed with `secret`; any other algorithm or key is refused."""
    if not isinstance(token, str) or not token or len(token) > 8192:
        raise ContextError(401, N_("The panel was opened without a valid CRM context. Reopen it from the CRM."))
    try:
        decoded = jwt.decode(token, signing_key(secret), algorithms=[ALGORITHM])
    except UnsupportedAlgorithmError:
        raise ContextError(401, N_("The CRM context is not signed the way this app requires (HS256).")) from None
    except BadSignatureError:
        raise SignatureMismatch(
            401, N_("The CRM context's signature does not match; it was not signed by your CRM.")) from None
    except (JoseError, ValueError, TypeError, RecursionError, OverflowError):
        # RecursionError: JSON nested too deeply for the parser; every parse failure is a plain refusal.
        raise ContextError(401, N_("The CRM context could not be read. Reopen the panel from the CRM.")) from None
    if decoded.header.get("alg") != ALGORITHM:  # belt and braces: the allow-list above already did this
        raise ContextError(401, N_("The CRM context is not signed the way this app requires (HS256)."))
    if not isinstance(decoded.claims, dict):
        raise ContextError(401, N_("The CRM context could not be read. Reopen the panel from the CRM."))
    return decoded.claims


def _check_registered_claims(
    claims: Mapping[str, Any], *, issuer: str, audience: str, now: datetime, leeway: int
) -> None:
    for name in ("iss", "aud", "iat", "exp", "jti"):
        if name not in claims:
            raise ContextError(401, N_("The CRM context is missing its '%(claim)s' claim.", claim=name))
    if claims["iss"] != issuer:
        raise ContextError(401, N_("The CRM context was issued by a different CRM than the one this app trusts."))
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if audience not in audiences:
        raise ContextError(401, N_("The CRM context is meant for a different app."))
    iat, exp = _number(claims, "iat"), _number(claims, "exp")
    current = now.timestamp()
    if exp <= iat or exp - iat > MAX_LIFETIME_SECONDS:
        raise ContextError(401, N_("The CRM context claims to last longer than the 10 minutes this app allows."))
    if iat > current + leeway:
        raise ContextError(401, N_("The CRM context was issued in the future; check the CRM server's clock."))
    if current > exp + leeway:
        raise ContextError(401, N_("The CRM context has expired. Reopen the panel from the CRM."))
    _text(claims, "jti", limit=200)


def context_from_claims(claims: Mapping[str, Any], *, host: str | None = None) -> EmbedContext:
    """The typed context from verified claims (also used for our own panel session and hand-over tokens).

    `host` is given for a CRM's own claims (the generic context): any `host` claim in them is ignored. Without it,
    the claims are our own tokens' and carry the host that verified the original request."""
    user = _object(claims, "user")
    record = _object(claims, "record")
    role = _text(user, "role", where="user")
    if role not in ROLES:
        raise ContextError(401, N_("The CRM context gives the user an unknown role (expected admin or member)."))
    record_type = _text(record, "type", where="record")
    if record_type not in RECORD_TYPES:
        raise ContextError(401, N_("The CRM context names a record type this panel does not show."))
    return EmbedContext(
        account_id=_text(claims, "account", limit=200),
        user=UserInfo(
            id=_text(user, "id", where="user"),
            email=_text(user, "email", where="user"),
            name=_optional(user, "name"),
            role=role,
            locale=_optional(user, "locale") or "en",
            timezone=_optional(user, "tz") or "UTC",
        ),
        record=RecordRef(
            type=record_type,
            id=_text(record, "id", where="record", limit=200),
            name=_optional(record, "name"),
            email=_optional(record, "email"),
            company=_optional(record, "company"),
            account=_linked(record, "account"),
            contact=_linked(record, "contact"),
        ),
        jti=_text(claims, "jti", limit=200),
        expires_at=datetime.fromtimestamp(_number(claims, "exp"), UTC),
        host=host or _host_claim(claims),
    )


def _host_claim(claims: Mapping[str, Any]) -> str:
    value = claims.get("host", "generic")
    if not isinstance(value, str) or not value.isidentifier() or len(value) > 20:
        raise ContextError(401, N_("The panel session names an unknown host. Reopen the panel from the CRM."))
    return value


def claims_of(context: EmbedContext) -> dict[str, Any]:
    """The account/user/record claims of a context, in the wire format (for re-signing as a session)."""
    record: dict[str, Any] = {
        "type": context.record.type,
        "id": context.record.id,
        "name": context.record.name,
        "email": context.record.email,
        "company": context.record.company,
    }
    for name in ("account", "contact"):
        linked = getattr(context.record, name)
        if linked is not None:
            record[name] = {"id": linked.id, "name": linked.name, "email": linked.email}
            if linked.company:
                record[name]["company"] = linked.company
    user = context.user
    return {
        "host": context.host,
        "account": context.account_id,
        "user": {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                 "locale": user.locale, "tz": user.timezone},
        "record": record,
    }


def _number(claims: Mapping[str, Any], name: str) -> int:
    """A time in whole seconds since the epoch: an integer (JSON's NaN, Infinity, 1e999 and fractions are not),
    within MIN_TIME..MAX_TIME, so every comparison with it means what it says."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_TIME <= value <= MAX_TIME:
        raise ContextError(401, N_("The CRM context's '%(claim)s' claim is not a time.", claim=name))
    return value


def _object(claims: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = claims.get(name)
    if not isinstance(value, Mapping):
        raise ContextError(401, N_("The CRM context is missing its '%(claim)s' claim.", claim=name))
    return value


def _text(claims: Mapping[str, Any], name: str, *, where: str = "", limit: int = MAX_TEXT) -> str:
    label = f"{where}.{name}" if where else name
    value = claims.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # CRMs send numeric ids
    if not isinstance(value, str) or not value.strip():
        raise ContextError(401, N_("The CRM context is missing its '%(claim)s' claim.", claim=label))
    if len(value) > limit:
        raise ContextError(401, N_("The CRM context's '%(claim)s' claim is too long.", claim=label))
    return value


def _optional(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name, "")
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ContextError(401, N_("The CRM context's '%(claim)s' claim is not valid text.", claim=name))
    return value


def _linked(record: Mapping[str, Any], name: str) -> LinkedRecord | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ContextError(401, N_("The CRM context's '%(claim)s' claim is not an object.", claim="record." + name))
    return LinkedRecord(
        id=_text(value, "id", where=f"record.{name}", limit=200),
        name=_optional(value, "name"),
        email=_optional(value, "email"),
        company=_optional(value, "company"),
    )
