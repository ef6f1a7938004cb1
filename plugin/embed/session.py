"""After the first load: our own short-lived panel session token, and the decorators that check it.

The CRM context is verified once (single use); the page then carries a panel session token: itsdangerous's
URLSafeTimedSerializer (signed and timestamped, HMAC-SHA256 over a key derived from SECRET_KEY with its own salt),
a format of its own with its own audience, so that neither token can stand in for the other. A library does
the signing; checking one costs ~27 µs, so no per-worker memo of checked tokens is kept. htmx sends it in
the `X-Panel-Session` header on every follow-up request. It is never read from a cookie, a form field or the
query string: a header no other site can make a browser send is what makes the panel's POSTs CSRF-proof.

Renewal: reps keep a CRM page open for hours, but a token lasts 15 minutes. A request made in the last
RENEW_WITHIN_SECONDS of a token's life gets a fresh token in the `X-Panel-Session-Renewed` response header
(panel.js puts it into the body's hx-headers; the page also pings /panel/session every few minutes so an idle
panel stays renewed). Every token carries `launch_iat`, the time the CRM opened the panel; renewals never
reach past `session_cap(role)` after it, and then the panel must be reopened from the CRM.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, Request, after_this_request, current_app, g, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from plugin.domain.text import N_, Nn_
from plugin.embed.context import (
    ContextError,
    EmbedContext,
    claims_of,
    context_from_claims,
    decode_hs256,
    encode_context,
    namespaced,
    verify_context,
)
from plugin.runtime.markers import MarkersUnavailable
from plugin.services import services
from plugin.settings import instance_secret

SESSION_HEADER = "X-Panel-Session"
SESSION_AUDIENCE = "xero-invoice-panel/session"
SESSION_SALT = "xero-panel/panel-session"
SESSION_TTL_SECONDS = 15 * 60
RENEW_WITHIN_SECONDS = 5 * 60
MAX_SESSION_AGE_SECONDS = 12 * 3600
ADMIN_SESSION_AGE_SECONDS = 3600
MAX_SESSION_TOKEN = 8192
RENEWED_HEADER = "X-Panel-Session-Renewed"
CONTEXT_PARAM = "context"
LAUNCH_PARAM = "launch"
HANDOVER_ISSUER = "xero-invoice-panel/hosts"
HANDOVER_AUDIENCE = "xero-invoice-panel/handover"
HANDOVER_TTL_SECONDS = 60
ADMIN_ONLY_MESSAGE = N_("Only admins can configure the Xero integration")

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
            raise ContextError(
                503, N_("The panel can't check this CRM link right now. Try again in a minute.")) from None


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
    would pass the launch cap (`session_cap`) after `launch_iat` (the first load; now, unless this is a renewal)."""
    now = int(services().clock.now().timestamp())
    launched = now if launch_iat is None else launch_iat
    claims = {**claims_of(context), "aud": SESSION_AUDIENCE, "ctx": ctx or context.jti, "launch_iat": launched}
    return _serializer().dumps(claims)


def read_panel_session(token: str) -> EmbedContext:
    """The context a panel session token carries; ContextError(401) if it is missing, forged or expired."""
    return context_from_claims(_session_claims(token))


def session_cap(role: str) -> int:
    """How long after the CRM opened the page a session may be renewed: 12 hours, 1 hour for an admin (so a
    demoted admin loses the admin page within the hour)."""
    return ADMIN_SESSION_AGE_SECONDS if role == "admin" else MAX_SESSION_AGE_SECONDS


_INVALID = N_("The panel session is not valid. Reopen the panel from the CRM.")


def _session_claims(token: str) -> dict[str, Any]:
    """The verified claims, with `exp` (when this token stops working) and `capped` (whether that is the launch
    cap) filled in from the signing time and `launch_iat`."""
    if not token:
        raise ContextError(401, N_("This request has no panel session. Reopen the panel from the CRM."))
    if len(token) > MAX_SESSION_TOKEN:
        raise ContextError(401, _INVALID)
    try:
        claims, signed_at = _serializer().loads(token, return_timestamp=True)
    except (BadData, ValueError, TypeError, RecursionError):
        raise ContextError(401, _INVALID) from None
    if not isinstance(claims, dict) or claims.get("aud") != SESSION_AUDIENCE:
        raise ContextError(401, _INVALID)
    launched, user = claims.get("launch_iat"), claims.get("user")
    if isinstance(launched, bool) or not isinstance(launched, int) or not isinstance(user, dict):
        raise ContextError(401, _INVALID)
    cap_at = launched + session_cap(str(user.get("role")))
    exp = min(int(signed_at.timestamp()) + SESSION_TTL_SECONDS, cap_at)
    if services().clock.now().timestamp() > exp:
        if exp >= cap_at:
            raise ContextError(401, _cap_message(str(user.get("role"))))
        raise ContextError(401, N_("The panel session has expired. Reopen the panel from the CRM."))
    return {**claims, "jti": str(claims.get("ctx") or ""), "exp": exp, "capped": exp >= cap_at}


def _cap_message(role: str) -> str:
    if role == "admin":
        return N_("This admin page has been open for an hour. Reload the page to open it again "
                  "(admin access is checked with the CRM every hour).")
    hours = MAX_SESSION_AGE_SECONDS // 3600
    return Nn_("This panel has been open for %(num)d hour. Reload the page to open it again.",
               "This panel has been open for %(num)d hours. Reload the page to open it again.", hours)


def renew_if_due(claims: dict[str, Any], context: EmbedContext) -> str | None:
    """A fresh token when this one has under RENEW_WITHIN_SECONDS left and the launch cap allows a longer one."""
    if claims["exp"] - services().clock.now().timestamp() > RENEW_WITHIN_SECONDS or claims["capped"]:
        return None
    return issue_panel_session(context, launch_iat=int(claims["launch_iat"]), ctx=str(claims.get("ctx") or ""))


class _AppClockSigner(TimestampSigner):
    """Timestamps on the app's clock (injected in tests), not the wall clock itsdangerous reads by default."""

    def get_timestamp(self) -> int:
        return int(services().clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(_session_secret())


@functools.lru_cache(maxsize=8)
def _serializer_for(secret: str) -> URLSafeTimedSerializer:
    """Built once per key, not on every request: a serializer keeps nothing between calls (its signer reads the
    app's clock each time), so one may serve every thread."""
    return URLSafeTimedSerializer(secret, salt=SESSION_SALT, signer=_AppClockSigner,
                                  signer_kwargs={"digest_method": hashlib.sha256})


def issue_handover(context: EmbedContext) -> str:
    """How a host (plugin/hosts) hands a context it verified and mapped to the panel and admin pages: our own
    signed, single-use token, valid for a minute, for `/panel?launch=` or `/admin?launch=`. Signed with a key of
    its own (derived from SECRET_KEY), so neither a CRM's context nor a panel session can stand in for it."""
    claims = {**claims_of(context), "iss": HANDOVER_ISSUER, "aud": HANDOVER_AUDIENCE}
    return encode_context(claims, _derived_secret(b"xero-panel/handover/v1"), clock=services().clock,
                          ttl=HANDOVER_TTL_SECONDS)


def verify_handover(token: str) -> EmbedContext:
    """The context a host handed over; ContextError if forged, expired or used before."""
    message = N_("This link from the CRM has expired or was already used. Reopen the panel from the CRM.")
    try:
        claims = decode_hs256(token, _derived_secret(b"xero-panel/handover/v1"))
    except ContextError:
        raise ContextError(401, message) from None
    now = services().clock.now().timestamp()
    exp = claims.get("exp")
    if (claims.get("iss") != HANDOVER_ISSUER or claims.get("aud") != HANDOVER_AUDIENCE
            or not isinstance(exp, int | float) or now > exp):
        raise ContextError(401, message)
    context = context_from_claims(claims)
    if not context.account_id.startswith(namespaced(context.host, "")):
        raise ContextError(401, message)
    if not MarkerReplayGuard().first_use("handover:" + context.jti, context.expires_at):
        raise ContextError(401, message)
    return context


def renew_for_host(token: str, *, host: str, account_id: str, user_id: str) -> str:
    """A fresh panel session for a page whose host proved the user again (Pipedrive's GET_SIGNED_TOKEN): the old
    session must be ours and name the same host, account and user; it may have expired, and the 12-hour launch cap
    starts again, because the host has just vouched for the user."""
    refused = ContextError(401, N_("The panel session can't be renewed. Reopen the panel from the CRM."))
    try:
        claims = _serializer().loads(token)  # no max_age: an expired session may be renewed this way
    except (BadData, ValueError, TypeError, RecursionError):
        raise refused from None
    if not isinstance(claims, dict) or claims.get("aud") != SESSION_AUDIENCE:
        raise refused
    # The session's own expiry doesn't matter here (the host has just vouched for the user): only who it names.
    context = context_from_claims({**claims, "jti": str(claims.get("ctx") or ""), "exp": 0})
    if (context.host, context.account_id, context.user.id) != (host, account_id, user_id):
        raise refused
    return issue_panel_session(context, ctx=str(claims.get("ctx") or ""))


def require_embed_context(view: View) -> View:
    """First load of a framed page: verify `?context=` from a CRM that signs our context (the generic host), or
    `?launch=` from one of plugin/hosts, put it on `g.embed`, and a fresh panel session token on `g.panel_session`
    for the page to hand to htmx."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            launch = request.args.get(LAUNCH_PARAM)
            g.embed = verify_handover(launch) if launch else verify_crm_context(request.args.get(CONTEXT_PARAM, ""))
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
            return error_page(ContextError(401, N_("This page must be opened from the CRM.")))
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
    app.session_interface = CookielessFirstSessionInterface()


class CookielessFirstSessionInterface(SecureCookieSessionInterface):
    """Flask's own cookie session, which opens a request without a session cookie (every panel and admin request:
    their session travels in the X-Panel-Session header) without first building its signing serializer, as Flask
    does on every request. A request with the cookie, and saving, are Flask's own."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask answers for no cookie, once it has built the serializer
        return super().open_session(app, request)


def _session_secret() -> str:
    """A key of its own for panel sessions, derived from SECRET_KEY (never the CRM's shared secret); the
    serializer's salt (SESSION_SALT) separates it further from every other itsdangerous use of the app."""
    return _derived_secret(b"xero-panel/panel-session/v1")


def _derived_secret(purpose: bytes) -> str:
    secret_key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret_key, purpose, hashlib.sha256).hexdigest()
