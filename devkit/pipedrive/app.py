"""A small Pipedrive on loopback: Marketplace OAuth, the API reads the panel uses, and pages that frame the app's
custom UI panel and settings exactly as Pipedrive does.

- OAuth: `GET/POST /oauth/authorize` (a consent page for the signed-in user's company), `POST /oauth/token`
  (HTTP Basic client credentials; authorization_code, and refresh_token with rotation: a refresh token works once),
  `POST /oauth/revoke`.
- API: `GET /api/v1/users/me`, `/api/v1/users/{id}`, `/api/v2/persons/{id}`, `/api/v2/organizations/{id}`,
  `/api/v2/deals/{id}`, each for the token's company only (another company's id is a 404, as in Pipedrive).
- Pages: `/` (records of the signed-in user's company, the user picker, Marketplace install and uninstall),
  `/person/{id}`, `/organization/{id}`, `/deal/{id}` (the detail view with the app's panel in the sidebar) and
  `/settings/app` (the app's settings surface). Each frame gets Pipedrive's query (`id`, `userId`, `companyId`,
  `token` signed HS256 with the app's JWT secret or client secret, `resource`, `view`, `selectedIds`, `theme`);
  static/host.js answers the SDK's messages and hides a frame that has not initialised within 10 s.
- Controls (JSON, not Pipedrive): `POST /_pipedrive/fail-next {"n","status"}`, `POST /_pipedrive/expire-access-tokens`,
  `POST /_pipedrive/delete {"company_id","resource","id"}`, `POST /_pipedrive/uninstall {"company_id","user_id"}`,
  `GET /_pipedrive/state`.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import requests
from flask import Flask, abort, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from devkit.pipedrive.signer import frame_token
from devkit.pipedrive.state import ACME_ID, ADMIN_ID, Company, Grant, PipedriveState, User

HERE = Path(__file__).parent
RESOURCES = {"person": "persons", "organization": "organizations", "deal": "deals"}
USER_COOKIE = "pd_user"
THEME_COOKIE = "pd_theme"
INIT_TIMEOUT_MS = 10_000  # Pipedrive hides a frame that has not initialised through the SDK within 10 s


def create_pipedrive(state: PipedriveState) -> Flask:
    app = Flask("devkit.pipedrive", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                static_url_path="/static")
    app.extensions["pipedrive_state"] = state

    def current() -> tuple[Company, User]:
        company_id, _, user_id = (request.cookies.get(USER_COOKIE) or f"{ACME_ID}:{ADMIN_ID}").partition(":")
        try:
            company = state.company(int(company_id))
            user = company.users[int(user_id)]
        except (KeyError, ValueError):
            company = state.company(ACME_ID)
            user = company.users[ADMIN_ID]
        return company, user

    def theme() -> str:
        return "dark" if request.cookies.get(THEME_COOKIE) == "dark" else "light"

    def frame_src(base: str, company: Company, user: User, **extra: str) -> str:
        query = {
            "id": secrets.token_hex(8),
            "userId": str(user.id),
            "companyId": str(company.id),
            "token": frame_token(user_id=user.id, company_id=company.id, secret=state.app.signing_secret,
                                 now=state.now()),
            **extra,
            "theme": theme(),
        }
        return base + ("&" if "?" in base else "?") + urllib.parse.urlencode(query)

    # -- pages -------------------------------------------------------------------------------------------------

    @app.get("/")
    def home() -> str:
        company, user = current()
        return render_template("pipedrive/home.html", company=company, user=user, state=state, theme=theme(),
                               installed=company.id in state.installed)

    @app.post("/as")
    def sign_in_as() -> Response:
        response = redirect(request.form.get("next") or url_for("home"))
        if request.form.get("user"):
            response.set_cookie(USER_COOKIE, request.form["user"], samesite="Lax")
        if request.form.get("theme") in ("light", "dark"):
            response.set_cookie(THEME_COOKIE, request.form["theme"], samesite="Lax")
        return response

    @app.get("/<any(person, organization, deal):resource>/<int:record_id>")
    def detail(resource: str, record_id: int) -> str:
        company, user = current()
        record = getattr(company, RESOURCES[resource]).get(record_id)
        if record is None:
            abort(404)
        src = frame_src(state.app.panel_url, company, user, resource=resource, view="details",
                        selectedIds=str(record_id))
        return render_template("pipedrive/detail.html", company=company, user=user, resource=resource,
                               record=record, frame_src=src, panel_origin=_origin(state.app.panel_url),
                               timeout_ms=INIT_TIMEOUT_MS, theme=theme(), state=state)

    @app.get("/settings/app")
    def app_settings() -> str:
        company, user = current()
        src = frame_src(state.app.settings_url, company, user)
        return render_template("pipedrive/settings.html", company=company, user=user, frame_src=src,
                               panel_origin=_origin(state.app.settings_url), timeout_ms=INIT_TIMEOUT_MS,
                               theme=theme(), state=state)

    @app.get("/frame-token")
    def signed_token() -> Response:
        """What GET_SIGNED_TOKEN answers: a fresh token for the signed-in user (5 minutes)."""
        company, user = current()
        token = frame_token(user_id=user.id, company_id=company.id, secret=state.app.signing_secret, now=state.now())
        state.calls.append("get_signed_token")
        return jsonify(token=token)

    @app.post("/marketplace/uninstall")
    def marketplace_uninstall() -> Response:
        company, user = current()
        _uninstall(state, company.id, user.id)
        return redirect(url_for("home"))

    # -- OAuth -------------------------------------------------------------------------------------------------

    @app.get("/oauth/authorize")
    def authorize() -> str:
        company, user = current()
        if request.args.get("client_id") != state.app.client_id:
            abort(400, "unknown client_id")
        if request.args.get("redirect_uri") != state.app.redirect_uri:
            abort(400, "redirect_uri is not the one registered for this app")
        return render_template("pipedrive/authorize.html", company=company, user=user, args=request.args,
                               state=state, theme=theme())

    @app.post("/oauth/authorize")
    def authorize_answer() -> Response:
        company, user = current()
        redirect_uri = request.form.get("redirect_uri", "")
        if request.form.get("client_id") != state.app.client_id or redirect_uri != state.app.redirect_uri:
            abort(400)
        query: dict[str, str] = {}
        if request.form.get("answer") == "allow":
            query["code"] = state.issue_code(Grant(company.id, user.id), redirect_uri)
        else:
            query["error"] = "user_denied"
        if request.form.get("state"):
            query["state"] = request.form["state"]
        return redirect(redirect_uri + "?" + urllib.parse.urlencode(query))

    @app.post("/oauth/token")
    def token() -> tuple[Response, int] | Response:
        if not _client_authenticated(state):
            return jsonify(success=False, error="invalid_client"), 401
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            tokens = state.redeem_code(request.form.get("code", ""), request.form.get("redirect_uri", ""))
        elif grant_type == "refresh_token":
            tokens = state.rotate(request.form.get("refresh_token", ""))
        else:
            return jsonify(success=False, error="unsupported_grant_type"), 400
        if tokens is None:
            return jsonify(success=False, error="invalid_grant", message="Invalid grant"), 400
        state.calls.append(f"token:{grant_type}")
        return jsonify({**tokens, "api_domain": request.host_url.rstrip("/")})

    @app.post("/oauth/revoke")
    def revoke() -> tuple[str, int]:
        if not _client_authenticated(state):
            return "", 401
        state.revoke(request.form.get("token", ""))
        state.calls.append("revoke")
        return "", 200

    # -- API ---------------------------------------------------------------------------------------------------

    def api_company() -> tuple[Company, User]:
        if state.fail_next:
            status = state.fail_next.pop(0)
            abort(Response('{"success":false,"error":"Service unavailable"}', status=status or 503,
                           mimetype="application/json"))
        header = request.headers.get("Authorization", "")
        grant = state.grant_for(header[7:]) if header.startswith("Bearer ") else None
        if grant is None:
            abort(Response('{"success":false,"error":"unauthorized access","errorCode":401}', status=401,
                           mimetype="application/json"))
        company = state.company(grant.company_id)
        return company, company.users[grant.user_id]

    def not_found() -> tuple[Response, int]:
        return jsonify(success=False, error="not found"), 404

    @app.get("/api/v1/users/me")
    def me() -> Response:
        company, user = api_company()
        state.calls.append("users/me")
        return jsonify(success=True, data=user.as_json(company))

    @app.get("/api/v1/users/<int:user_id>")
    def user_by_id(user_id: int) -> Response | tuple[Response, int]:
        company, _ = api_company()
        state.calls.append(f"users/{user_id}")
        found = company.users.get(user_id)
        return jsonify(success=True, data=found.as_json(company)) if found else not_found()

    @app.get("/api/v2/<any(persons, organizations, deals):kind>/<int:record_id>")
    def record(kind: str, record_id: int) -> Response | tuple[Response, int]:
        company, _ = api_company()
        state.calls.append(f"{kind}/{record_id}")
        found = getattr(company, kind).get(record_id)
        if found is None or found.get("is_deleted"):
            return not_found()
        return jsonify(success=True, data=found)

    # -- controls ----------------------------------------------------------------------------------------------

    @app.post("/_pipedrive/fail-next")
    def fail_next() -> Response:
        body = request.get_json(force=True) or {}
        state.fail_next.extend([int(body.get("status", 503))] * int(body.get("n", 1)))
        return jsonify(ok=True)

    @app.post("/_pipedrive/expire-access-tokens")
    def expire() -> Response:
        state.expire_access_tokens()
        return jsonify(ok=True)

    @app.post("/_pipedrive/delete")
    def delete_record() -> Response:
        body = request.get_json(force=True) or {}
        company = state.company(int(body.get("company_id", ACME_ID)))
        getattr(company, RESOURCES[body["resource"]]).pop(int(body["id"]), None)
        return jsonify(ok=True)

    @app.post("/_pipedrive/uninstall")
    def uninstall_control() -> Response:
        body = request.get_json(force=True) or {}
        status = _uninstall(state, int(body.get("company_id", ACME_ID)), int(body.get("user_id", ADMIN_ID)))
        return jsonify(ok=True, callback_status=status)

    @app.get("/_pipedrive/state")
    def summary() -> Response:
        return jsonify(installed=sorted(state.installed), calls=state.calls[-200:],
                       refresh_tokens=len(state.refresh_tokens), uninstalls=state.uninstall_deliveries)

    return app


def _uninstall(state: PipedriveState, company_id: int, user_id: int) -> int:
    """Pipedrive's side of an uninstall: tokens revoked, then a DELETE to the app's callback URL (Basic auth)."""
    state.uninstall(company_id)
    app = state.app
    if not app.uninstall_url:
        return 0
    body = {"client_id": app.client_id, "company_id": company_id, "user_id": user_id,
            "timestamp": datetime.fromtimestamp(state.now(), UTC).isoformat()}
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    try:
        answer = requests.delete(app.uninstall_url, json=body, headers={"Authorization": f"Basic {basic}"}, timeout=10)
    except requests.RequestException:
        status = 0
    else:
        status = answer.status_code
    state.uninstall_deliveries.append({**body, "status": status})
    return status


def _client_authenticated(state: PipedriveState) -> bool:
    header = request.headers.get("Authorization", "")
    expected = base64.b64encode(f"{state.app.client_id}:{state.app.client_secret}".encode()).decode()
    return hmac.compare_digest(header.encode(), f"Basic {expected}".encode())


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"

