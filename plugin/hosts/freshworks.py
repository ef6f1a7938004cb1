"""Freshworks CRM (Freshsales Suite) as a host: verify the context our Freshworks app's serverless function signed,
and map it to the panel's one internal context. Pure: no Flask, no HTTP; freshworks_views.py feeds it.

What Freshworks sends: nothing of its own. Our Freshworks app (plugin/hosts/freshworks_app/, written out by
`xero-panel package freshworks`) runs a serverless function on Freshworks' servers that reads the record and the
user through the Freshsales API and signs the panel's own generic context (README, "How the CRM embeds the panel")
with a shared secret kept as a secure installation parameter. The placeholder page then frames
`PUBLIC_URL/panel?context=...` (or `/admin?context=...`).

How it is told from a generic context: its issuer is `freshworks:<Freshsales domain>` (one issuer per
installation) and it is signed with FRESHWORKS_CONTEXT_SECRET, never with CONTEXT_SECRET. Its `account` must be the
same `freshworks:<domain>`, so the account is namespaced like every host's (the generic context may not contain
':') and one installation can't name another's. The audience is the generic one, `xero-invoice-panel`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from plugin.domain.text import N_
from plugin.embed.context import (
    ContextError,
    EmbedContext,
    ReplayGuard,
    SignatureMismatch,
    context_from_claims,
    decode_hs256,
    namespaced,
)

HOST = "freshworks"
ISSUER_PREFIX = namespaced(HOST, "")  # the issuer is the account: freshworks:<domain>
AUDIENCE = "xero-invoice-panel"
MAX_LIFETIME_SECONDS = 600
LEEWAY_SECONDS = 30
MIN_SECRET_LENGTH = 32
DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}(\.[a-z0-9-]{1,63}){1,8}$")


def account_id(domain: str) -> str:
    """The panel's account for a Freshworks installation: namespaced, so no other host's id can name it."""
    return ISSUER_PREFIX + domain


def context_secrets(config: Mapping[str, Any]) -> list[str]:
    """FRESHWORKS_CONTEXT_SECRET: one or several (newest first, while rotating), space- or comma-separated."""
    return str(config.get("FRESHWORKS_CONTEXT_SECRET") or "").replace(",", " ").split()


def allowed_domains(config: Mapping[str, Any]) -> tuple[str, ...]:
    """FRESHWORKS_DOMAINS: the Freshsales domains this server serves; empty: any the secret signs for."""
    return tuple(str(config.get("FRESHWORKS_DOMAINS") or "").lower().replace(",", " ").split())


def claimed_issuer(token: str) -> str:
    """The `iss` a token claims, read without verifying anything: only to route it to the right verifier."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 8192:
        return ""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return ""
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else ""


def is_freshworks_token(token: str) -> bool:
    return claimed_issuer(token).startswith(ISSUER_PREFIX)


def verify_context(token: str, *, secrets: Sequence[str], domains: Sequence[str], now: datetime,
                   replay_guard: ReplayGuard, leeway: int = LEEWAY_SECONDS) -> EmbedContext:
    """The internal context (host freshworks) a Freshworks-minted context carries, or ContextError saying why not."""
    if not secrets:
        raise ContextError(404, N_("Freshworks is not configured on this server (no FRESHWORKS_CONTEXT_SECRET)."))
    if any(len(secret) < MIN_SECRET_LENGTH for secret in secrets):
        raise ContextError(503, N_("FRESHWORKS_CONTEXT_SECRET is shorter than %(length)d characters; the server's "
                                   "administrator sets a longer one (and the same in the app's settings).",
                                   length=MIN_SECRET_LENGTH))
    claims = _decode_with_any(token, list(secrets))
    issuer = claims.get("iss")
    domain = issuer[len(ISSUER_PREFIX):] if isinstance(issuer, str) and issuer.startswith(ISSUER_PREFIX) else ""
    if not DOMAIN.match(domain):
        raise ContextError(401, N_("The Freshworks context names no valid Freshsales domain."))
    if domains and domain not in domains:
        raise ContextError(403, N_("This server does not serve the Freshsales account %(domain)s.", domain=domain))
    if claims.get("account") != account_id(domain):
        raise ContextError(401, N_("The Freshworks context's account is not its installation's."))
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if AUDIENCE not in audiences:
        raise ContextError(401, N_("The Freshworks context is meant for a different app."))
    _check_times(claims, now=now.timestamp(), leeway=leeway)
    context = context_from_claims(claims, host=HOST)
    if not replay_guard.first_use(HOST + ":" + context.jti, context.expires_at):
        raise ContextError(401, N_("This Freshworks link was already used. Reopen the record in Freshworks."))
    return context


def _decode_with_any(token: str, secrets: list[str]) -> dict[str, Any]:
    for secret in secrets[:-1]:
        try:
            return decode_hs256(token, secret)
        except SignatureMismatch:
            continue
    try:
        return decode_hs256(token, secrets[-1])
    except SignatureMismatch:
        raise ContextError(401, N_("The Freshworks context's signature does not match FRESHWORKS_CONTEXT_SECRET: "
                                   "it was not signed by this server's Freshworks app.")) from None


def _check_times(claims: Mapping[str, Any], *, now: float, leeway: int) -> None:
    for name in ("iat", "exp", "jti"):
        if name not in claims:
            raise ContextError(401, N_("The Freshworks context is missing its '%(claim)s' claim.", claim=name))
    iat, exp = _time(claims, "iat"), _time(claims, "exp")
    if exp <= iat or exp - iat > MAX_LIFETIME_SECONDS:
        raise ContextError(401, N_("The Freshworks context claims to last longer than the 10 minutes this app allows."))
    if iat > now + leeway:
        raise ContextError(401, N_("The Freshworks context was issued in the future; check the clocks."))
    if now > exp + leeway:
        raise ContextError(401, N_("The Freshworks context has expired. Reopen the record in Freshworks."))


def _time(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContextError(401, N_("The Freshworks context's '%(claim)s' claim is not a time.", claim=name))
    return float(value)
