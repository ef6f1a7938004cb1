"""After the first load: our own short-lived panel session token, and the decorators that check it.

The CRM context is verified once (single use); the page then carries a panel session token, a JWT
signed with a key derived from SECRET_KEY, with its own issuer and audience so that neither token
can stand in for the other. htmx sends it in the `X-Panel-Session` header on every follow-up
request. It is never read from a cookie, a form field or the query string: a header no other site can
make a browser send is what makes the panel's POSTs CSRF-proof.

Renewal: reps keep a CRM page open for hours, but a token lasts 15 minutes. A request made in the last
RENEW_WITHIN_SECONDS of a token's life gets a fresh token in the `X-Panel-Session-Renewed` response header
(panel.js puts it into the body's hx-headers; the page also pings /panel/session every few minutes so an idle
panel stays renewed). Every token carries `launch_iat`, the time the CRM opened the panel; renewals never
reach past MAX_SESSION_AGE_SECONDS after it, and then the panel must be reopened from the CRM.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, after_this_request, current_app, g, render_template, request
from werkzeug.wrappers import Response

from plugin.embed.context import (
    ContextError,
    EmbedContext,
    claims_of,
    context_from_claims,
    decode_hs256,
    encode_context,
    verify_context,
)
from plugin.runtime.markers import MarkersUnavailable
from plugin.services import services
from plugin.settings import instance_secret

SESSION_HEADER = "X-Panel-Session"
SESSION_ISSUER = "xero-invoice-panel"
SESSION_AUDIENCE = "xero-invoice-panel/session"
SESSION_TTL_SECONDS = 15 * 60
RENEW_WITHIN_SECONDS = 5 * 60
MAX_SESSION_AGE_SECONDS = 12 * 3600
RENEWED_HEADER = "X-Panel-Session-Renewed"
CONTEXT_PARAM = "context"
ADMIN_ONLY_MESSAGE = "Only admins can configure the Xero integration"

View = TypeVar("View", bound=Callable[..., Any])


class MarkerReplayGuard:
    """Used context ids (hashed), kept in the single-use markers store until the context expires (+ leeway).
    A store that can't answer refuses the context (503) rather than accept it a second time."""

    def first_use(self, jti: str, expires_at: datetime) -> bool:
        remaining = int((expires_at - services().clock.now()).total_seconds()) + 60  # + leeway
        key = "embed-jti:" + hashlib.sha256(jti.encode()).hexdigest()
        try:
            return services().markers.claim(key, ttl=max(remaining, 60))
        except MarkersUnavailable:
            raise ContextError(503, "The panel can't check this CRM link right now. Try again in a minute.") from None


def context_secrets(app: Flask | None = None) -> list[str]:
    """The CRM's signing secrets, newest first: CONTEXT_SECRET (several, space- or comma-separated, while the
    CRM and this app rotate), or a generated one in the instance folder for the demo."""
    app = app or current_app
    configured = str(app.config.get("CONTEXT_SECRET") or "").replace(",", " ").split()
    return configured or [instance_secret(app, "context_secret")]


def context_secret(app: Flask | None = None) -> str:
    """The secret new contexts are signed with (the newest)."""
    return context_secrets(app)[0]


def verify_crm_context(token: str) -> EmbedContext:
    """Verify a CRM context with the app's secret, issuer and audience; refuse it if it was used before."""
    config = current_app.config
    return verify_context(
        token,
        secret=context_secrets(),
        issuer=config["CONTEXT_ISSUER"],
        audience=config["CONTEXT_AUDIENCE"],
        clock=services().clock,
        replay_guard=MarkerReplayGuard(),
    )


def issue_panel_session(context: EmbedContext, *, launch_iat: int | None = None, ctx: str | None = None) -> str:
    """A panel session token for the same account, user and record, valid for 15 minutes, or less when that
    would pass MAX_SESSION_AGE_SECONDS after `launch_iat` (the first load; now, unless this is a renewal)."""
    now = int(services().clock.now().timestamp())
    launched = now if launch_iat is None else launch_iat
    claims = {**claims_of(context), "iss": SESSION_ISSUER, "aud": SESSION_AUDIENCE, "ctx": ctx or context.jti,
              "launch_iat": launched}
    ttl = min(SESSION_TTL_SECONDS, launched + MAX_SESSION_AGE_SECONDS - now)
    return encode_context(claims, _session_secret(), clock=services().clock, ttl=ttl)


def read_panel_session(token: str) -> EmbedContext:
    """The context a panel session token carries; ContextError(401) if it is missing, forged or expired."""
    return context_from_claims(_session_claims(token))


def _session_claims(token: str) -> dict[str, Any]:
    if not token:
        raise ContextError(401, "This request has no panel session. Reopen the panel from the CRM.")
    try:
        claims = _verified_signature(token, _session_secret())
    except ContextError:
        raise ContextError(401, "The panel session is not valid. Reopen the panel from the CRM.") from None
    now = services().clock.now().timestamp()
    if claims.get("iss") != SESSION_ISSUER or claims.get("aud") != SESSION_AUDIENCE:
        raise ContextError(401, "The panel session is not valid. Reopen the panel from the CRM.")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or now > exp:
        if isinstance(exp, int | float) and exp >= _launched_at(claims) + MAX_SESSION_AGE_SECONDS:
            hours = MAX_SESSION_AGE_SECONDS // 3600
            raise ContextError(401, f"This panel has been open for {hours} hours. Reload the page to open it again.")
        raise ContextError(401, "The panel session has expired. Reopen the panel from the CRM.")
    return claims


# Every htmx request carries the same token for up to 15 minutes; checking its HS256 signature (joserfc)
# was a good share of a warm render's fixed cost. A token whose signature checked out under a key is
# remembered by (key, token); the claim checks (issuer, audience, expiry, launch cap) still run on every
# request. Forged or altered tokens are never remembered. Bounded: emptied when full.
_VERIFIED_MAX = 4096
_verified: dict[tuple[str, str], dict[str, Any]] = {}


def _verified_signature(token: str, secret: str) -> dict[str, Any]:
    """decode_hs256, once per (key, token) per worker. The claims are shared: read them, never change them."""
    key = (secret, token)
    claims = _verified.get(key)
    if claims is None:
        claims = decode_hs256(token, secret)
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[key] = claims
    return claims


def _launched_at(claims: dict[str, Any]) -> int:
    launched = claims.get("launch_iat", claims.get("iat"))
    return int(launched) if isinstance(launched, int | float) and not isinstance(launched, bool) else 0


def renew_if_due(claims: dict[str, Any], context: EmbedContext) -> str | None:
    """A fresh token when this one has under RENEW_WITHIN_SECONDS left and the launch cap allows a longer one."""
    launched = _launched_at(claims)
    exp = float(claims["exp"])
    if exp - services().clock.now().timestamp() > RENEW_WITHIN_SECONDS or exp >= launched + MAX_SESSION_AGE_SECONDS:
        return None
    return issue_panel_session(context, launch_iat=launched, ctx=str(claims.get("ctx") or ""))


def require_embed_context(view: View) -> View:
    """First load of a framed page: verify `?context=` from the CRM, put it on `g.embed`, and a fresh
    panel session token on `g.panel_session` for the page to hand to htmx."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            g.embed = verify_crm_context(request.args.get(CONTEXT_PARAM, ""))
        except ContextError as error:
            return error_page(error)
        g.panel_session = issue_panel_session(g.embed)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_panel_session(view: View) -> View:
    """Follow-up requests: the `X-Panel-Session` header, and nothing else, identifies the caller."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = request.headers.get(SESSION_HEADER, "")
        try:
            claims = _session_claims(token)
            g.embed = context_from_claims(claims)
        except ContextError as error:
            return error_page(error)
        renewed = renew_if_due(claims, g.embed)
        if renewed:
            after_this_request(functools.partial(_send_renewed, renewed))
        g.panel_session = renewed or token  # a whole page rendered now carries the fresh one
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _send_renewed(token: str, response: Response) -> Response:
    response.headers[RENEWED_HEADER] = token
    return response


def require_admin(view: View) -> View:
    """Inside require_embed_context / require_panel_session: only role admin gets through."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        embed: EmbedContext | None = g.get("embed")
        if embed is None:
            return error_page(ContextError(401, "This page must be opened from the CRM."))
        if not embed.user.is_admin:
            return error_page(ContextError(403, ADMIN_ONLY_MESSAGE))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def error_page(error: ContextError) -> Response:
    """A plain page saying what is wrong, with the error's status, and no data."""
    body = render_template("embed/error.html", status=error.status, message=error.message)
    return Response(body, status=error.status, mimetype="text/html")


def init_app(app: Flask) -> None:
    """Views that call verify_crm_context / read_panel_session directly get the same error page."""
    app.register_error_handler(ContextError, error_page)


def _session_secret() -> str:
    """A key of its own for panel sessions, derived from SECRET_KEY (never the CRM's shared secret)."""
    secret_key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret_key, b"xero-panel/panel-session/v1", hashlib.sha256).hexdigest()
