"""Xero's identity server on the emulator's origin: authorize pages, token, revocation, JWKS, /connections.

Authorize: sign-in for a seeded user -> consent page (an organisation chooser when the user has several)
-> "Allow access" -> redirect with `code` and `state`. A bad client_id, redirect_uri or scope gets an error
page, never a redirect (as Xero does).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, render_template_string, request

from devkit.emulator import jwt, responses
from devkit.emulator.gate import Caller, guarded, state
from devkit.emulator.records import AuthorizationCode, Client, User
from devkit.emulator.serialize import dumps
from devkit.emulator.state import CODE_SECONDS, EmulatorState, OAuthFailure

bp = Blueprint("emulator_identity", __name__)

KNOWN_SCOPES = frozenset(
    {"openid", "profile", "email", "offline_access"}
    | {f"accounting.{area}{suffix}" for area in ("transactions", "invoices", "payments", "contacts", "settings",
                                                  "attachments", "banktransactions", "manualjournals",
                                                  "classicexpenses", "journals")
       for suffix in ("", ".read")}
    | {"accounting.reports.read", "accounting.budgets.read"}
)
AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                    "code_challenge_method")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} | Xero (emulator)</title>
<style>
body{font-family:system-ui,sans-serif;background:#f2f4f7;margin:0;display:flex;justify-content:center}
main{background:#fff;margin-top:4rem;padding:2rem 2.5rem;border-radius:8px;max-width:26rem;width:100%;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.3rem;color:#13b5ea}label{display:block;margin:.8rem 0 .3rem}
input[type=email],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1.2rem;padding:.6rem 1.2rem;background:#13b5ea;color:#fff;border:0;border-radius:4px;
font-size:1rem;cursor:pointer}button.secondary{background:#fff;color:#333;border:1px solid #ccc}
.error{color:#b00020}.note{color:#666;font-size:.85rem}fieldset{border:0;padding:0}
</style></head><body><main>
<h1>{{ title }}</h1>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
{% if step == "signin" %}
<form method="post">
{% for k, v in params.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<input type="hidden" name="step" value="signin">
<label for="email">Email address</label><input id="email" name="email" type="email" value="{{ email }}" required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Log in</button>
<p class="note">Seeded users: demo@example.com / demo (two organisations), olivia@example.com / demo (one).</p>
</form>
{% elif step == "consent" %}
<p><strong>{{ client_name }}</strong> wants access to your Xero data.</p>
<form method="post">
{% for k, v in params.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<input type="hidden" name="step" value="consent"><input type="hidden" name="ticket" value="{{ ticket }}">
{% if orgs|length > 1 %}
<fieldset><legend>Select the organisations to connect</legend>
{% for org in orgs %}<label><input type="checkbox" name="tenant" value="{{ org.tenant_id }}"
{% if loop.first %}checked{% endif %}> {{ org.name }}</label>{% endfor %}</fieldset>
{% else %}
<p>Organisation: <strong>{{ orgs[0].name }}</strong></p>
<input type="hidden" name="tenant" value="{{ orgs[0].tenant_id }}">
{% endif %}
<p class="note">Permissions requested: {{ scopes|join(", ") }}</p>
<button type="submit" name="action" value="allow">Allow access</button>
<button type="submit" name="action" value="deny" class="secondary">Cancel</button>
</form>
{% else %}
<p>{{ message }}</p>
{% endif %}
</main></body></html>
"""


def _page(step: str, status: int = 200, **context) -> Response:
    context.setdefault("error", "")
    context.setdefault("params", {})
    html = render_template_string(PAGE, step=step, **context)
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def _error_page(message: str) -> Response:
    return _page("error", 400, title="Sorry, something went wrong", message=message)


# --- authorize ---------------------------------------------------------------------------------------------

def _check_authorize(emulator: EmulatorState, params: dict[str, str]) -> tuple[Client, tuple[str, ...]] | str:
    """The client and scopes, or the message for an error page."""
    client = emulator.clients.get(params.get("client_id", ""))
    if client is None:
        return "unauthorized_client: Unknown client or client not enabled"
    if params.get("redirect_uri") not in client.redirect_uris:
        return "Invalid redirect_uri: it does not match one registered for this app"
    if params.get("response_type") != "code":
        return "unsupported_response_type"
    scopes = tuple(params.get("scope", "").split())
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if not scopes or unknown:
        return f"invalid_scope: {' '.join(unknown) or '(none requested)'}"
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
        return "invalid_request: code_challenge_method must be S256"
    return client, scopes


@bp.route("/identity/connect/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    emulator = state()
    source = request.form if request.method == "POST" else request.args
    params = {k: source[k] for k in AUTHORIZE_FIELDS if k in source}
    with emulator.lock:
        checked = _check_authorize(emulator, params)
    if isinstance(checked, str):
        return _error_page(checked)
    client, scopes = checked
    step = request.form.get("step") if request.method == "POST" else None
    if step == "signin":
        return _sign_in(emulator, client, scopes, params)
    if step == "consent":
        return _consent(emulator, client, scopes, params)
    return _page("signin", title="Log in to Xero", params=params, email="")


def _sign_in(emulator: EmulatorState, client: Client, scopes: tuple[str, ...], params: dict[str, str]) -> Response:
    email = request.form.get("email", "")
    with emulator.lock:
        user = emulator.user_by_email(email)
        if user is None or not secrets.compare_digest(user.password, request.form.get("password", "")):
            return _page("signin", 401, title="Log in to Xero", params=params, email=email,
                         error="Your email or password is incorrect")
        ticket = secrets.token_urlsafe(16)
        emulator.login_tickets[ticket] = user.email
        orgs = [emulator.orgs[t].org for t in user.tenant_ids if t in emulator.orgs]
    return _page("consent", title="Allow access", params=params, ticket=ticket, orgs=orgs, scopes=scopes,
                 client_name=client.name)


def _consent(emulator: EmulatorState, client: Client, scopes: tuple[str, ...], params: dict[str, str]) -> Response:
    redirect_uri = params["redirect_uri"]
    with emulator.lock:
        email = emulator.login_tickets.pop(request.form.get("ticket", ""), None)
        user = emulator.user_by_email(email) if email else None
        if user is None:
            return _error_page("Your sign-in has expired. Start again from the app.")
        if request.form.get("action") != "allow":
            return redirect(_with_query(redirect_uri, error="access_denied", state=params.get("state")))
        tenants = [t for t in request.form.getlist("tenant") if t in user.tenant_ids]
        if not tenants:
            return _error_page("Choose at least one organisation.")
        code = _new_code(emulator, client, user, scopes, params, tenants)
    return redirect(_with_query(redirect_uri, code=code, scope=" ".join(scopes), state=params.get("state")))


def _new_code(emulator: EmulatorState, client: Client, user: User, scopes: tuple[str, ...],
              params: dict[str, str], tenants: list[str]) -> str:
    auth_event_id = emulator.new_id()
    emulator.connect(user=user, client_id=client.client_id, tenant_ids=tenants, auth_event_id=auth_event_id)
    code = secrets.token_urlsafe(24)
    emulator.codes[code] = AuthorizationCode(
        code, client.client_id, params["redirect_uri"], user.user_id, scopes, auth_event_id,
        emulator.now() + timedelta(seconds=CODE_SECONDS), params.get("code_challenge", ""),
        params.get("code_challenge_method", ""),
    )
    return code


def _with_query(url: str, **extra: str | None) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({k: v for k, v in extra.items() if v is not None})) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# --- token, revocation -------------------------------------------------------------------------------------

def _client_from_request(emulator: EmulatorState) -> Client:
    """client_secret_basic or client_secret_post."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return emulator.authenticate_client(auth.username or "", auth.password)
    return emulator.authenticate_client(request.form.get("client_id", ""), request.form.get("client_secret"))


@bp.post("/connect/token")
def token() -> Response:
    emulator = state()
    try:
        client = _client_from_request(emulator)
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            answer = _exchange_code(emulator, client)
        elif grant_type == "refresh_token":
            answer = emulator.refresh(client, request.form.get("refresh_token", ""))
        else:
            raise OAuthFailure("unsupported_grant_type")
    except OAuthFailure as failure:
        return responses.oauth_error(failure.error, failure.description, failure.status)
    response = Response(dumps(answer), content_type=responses.JSON)
    response.headers["Cache-Control"] = "no-store"
    return response


def _exchange_code(emulator: EmulatorState, client: Client) -> dict:
    with emulator.lock:
        grant = emulator.codes.get(request.form.get("code", ""))
        if grant is None or grant.used or grant.client_id != client.client_id or grant.expires < emulator.now():
            raise OAuthFailure("invalid_grant")
        grant.used = True  # single use, even when the rest of the request is wrong
        if request.form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthFailure("invalid_grant", "redirect_uri does not match")
        if grant.code_challenge and not _pkce_ok(grant.code_challenge, request.form.get("code_verifier", "")):
            raise OAuthFailure("invalid_grant", "code_verifier does not match the code_challenge")
        user = emulator.user_by_id(grant.user_id)
        if user is None:
            raise OAuthFailure("invalid_grant")
        return emulator.issue_tokens(client_id=client.client_id, user=user, scopes=grant.scopes,
                                     auth_event_id=grant.auth_event_id)


def _pkce_ok(challenge: str, verifier: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return 43 <= len(verifier) <= 128 and secrets.compare_digest(expected, challenge)


@bp.post("/connect/revocation")
def revocation() -> Response:
    emulator = state()
    try:
        client = _client_from_request(emulator)
    except OAuthFailure as failure:
        return responses.oauth_error(failure.error, failure.description, failure.status)
    emulator.revoke(client, request.form.get("token", ""))
    return Response("", status=200)


# --- discovery ---------------------------------------------------------------------------------------------

@bp.get("/.well-known/openid-configuration/jwks")
def jwks() -> Response:
    return Response(dumps(jwt.jwks()), content_type=responses.JSON)


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    base = state().base_url
    document = {
        "issuer": base, "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
        "authorization_endpoint": f"{base}/identity/connect/authorize", "token_endpoint": f"{base}/connect/token",
        "revocation_endpoint": f"{base}/connect/revocation", "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"], "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"], "scopes_supported": sorted(KNOWN_SCOPES),
    }
    return Response(dumps(document), content_type=responses.JSON)


# --- connections -------------------------------------------------------------------------------------------

def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"


@bp.get("/connections")
@guarded(None, needs_tenant=False)
def connections(caller: Caller) -> Response:
    emulator = state()
    event = request.args.get("authEventId", "").lower()
    items = [
        {"id": c.connection_id, "authEventId": c.auth_event_id, "tenantId": c.tenant_id, "tenantType": "ORGANISATION",
         "tenantName": emulator.orgs[c.tenant_id].org.name, "createdDateUtc": _iso(c.created),
         "updatedDateUtc": _iso(c.updated)}
        for c in emulator.connections.values()
        if (c.user_id, c.client_id) == (caller.user_id, caller.client_id) and (not event or c.auth_event_id == event)
    ]
    return Response(dumps(items), content_type=responses.JSON)


@bp.delete("/connections/<connection_id>")
@guarded(None, needs_tenant=False)
def disconnect(caller: Caller, connection_id: str) -> Response:
    emulator = state()
    found = emulator.connections.get(connection_id.lower())
    if found is None or (found.user_id, found.client_id) != (caller.user_id, caller.client_id):
        return responses.not_found()
    del emulator.connections[found.connection_id]
    return Response("", status=204)
