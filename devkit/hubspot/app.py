"""A small HubSpot on loopback: OAuth install, the API reads the card uses, and record pages that host the app card
the way HubSpot does.

- OAuth: `GET/POST /oauth/authorize` (a consent page for the signed-in user's portal), `POST /oauth/v1/token`
  (client id and secret in the form; authorization_code and refresh_token), `GET /oauth/v1/access-tokens/{token}`.
- API: `GET /crm/v3/objects/{contacts|companies|deals}/{id}` (properties, associations) and
  `GET /settings/v3/users/{id}` (`superAdmin`), each for the token's portal only (another portal's id is a 404).
- Pages: `/` (the portal's records, the user picker, install) and `/contacts/{portal}/record/{objectTypeId}/{id}`,
  a record page whose sidebar mimics the app card's host: static/card-host.js asks `POST /_card/fetch`, which plays
  `hubspot.fetch` (HubSpot's proxy): it sends the card's JSON body to the panel's `/hosts/hubspot/card` or
  `/hosts/hubspot/launch` with `userId`, `portalId`, `userEmail` and `appId` on the query and a v3 signature made
  with the app's client secret; the page renders the JSON it gets and opens the launch link in a modal iframe.
- Controls (JSON, not HubSpot): `POST /_hubspot/fail-next {"n","status"}`, `POST /_hubspot/expire-access-tokens`,
  `GET /_hubspot/state`.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import requests
from flask import Flask, abort, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from devkit.hubspot.signer import signed_headers
from devkit.hubspot.state import ACME_ID, ADMIN_ID, TYPE_IDS, Grant, HubSpotState, Portal, User

HERE = Path(__file__).parent
USER_COOKIE = "hs_user"
KINDS = {type_id: kind for kind, type_id in TYPE_IDS.items()}
CARD_PATHS = ("/hosts/hubspot/card", "/hosts/hubspot/launch")


def create_hubspot(state: HubSpotState) -> Flask:
    app = Flask("devkit.hubspot", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                static_url_path="/static")
    app.extensions["hubspot_state"] = state

    def current() -> tuple[Portal, User]:
        portal_id, _, user_id = (request.cookies.get(USER_COOKIE) or f"{ACME_ID}:{ADMIN_ID}").partition(":")
        try:
            portal = state.portal(int(portal_id))
            return portal, portal.users[int(user_id)]
        except (KeyError, ValueError):
            portal = state.portal(ACME_ID)
            return portal, portal.users[ADMIN_ID]

    # -- pages -------------------------------------------------------------------------------------------------

    @app.get("/")
    def home() -> str:
        portal, user = current()
        return render_template("hubspot/home.html", portal=portal, user=user, state=state,
                               install_url=state.app.panel_url + "/hosts/hubspot/install",
                               installed=portal.id in state.installed)

    @app.post("/as")
    def sign_in_as() -> Response:
        response = redirect(request.form.get("next") or url_for("home"))
        if request.form.get("user"):
            response.set_cookie(USER_COOKIE, request.form["user"], samesite="Lax")
        return response

    @app.get("/contacts/<int:portal_id>/record/<type_id>/<int:object_id>")
    def record(portal_id: int, type_id: str, object_id: int) -> str:
        portal, user = current()
        kind = KINDS.get(type_id)
        found = getattr(portal, kind).get(object_id) if kind and portal.id == portal_id else None
        if found is None:
            abort(404)
        return render_template("hubspot/record.html", portal=portal, user=user, state=state, kind=kind,
                               type_id=type_id, record=found, title=_title(kind, found))

    @app.post("/_card/fetch")
    def card_fetch() -> tuple[Response, int]:
        """hubspot.fetch as HubSpot's proxy does it: the card's body, HubSpot's query, a v3 signature."""
        portal, user = current()
        sent = request.get_json(force=True) or {}
        path = str(sent.get("path") or "")
        if path not in CARD_PATHS:
            abort(400)
        body = {"portalId": str(portal.id), "userId": str(user.id), "userEmail": user.email,
                "objectId": str(sent.get("objectId") or ""), "objectTypeId": str(sent.get("objectTypeId") or ""),
                "locale": user.locale, "timezone": portal.timezone,
                **({"target": str(sent["target"])} if sent.get("target") else {})}
        query = urllib.parse.urlencode({"userId": user.id, "portalId": portal.id, "userEmail": user.email,
                                        "appId": state.app.app_id})
        uri = f"{state.app.panel_url}{path}?{query}"
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = signed_headers(secret=state.app.client_secret, method="POST", uri=uri, body=raw,
                                 timestamp_ms=int(state.now() * 1000))
        state.calls.append(f"fetch:{path}")
        try:
            answer = requests.post(uri, data=raw, headers=headers, timeout=15)
        except requests.RequestException:
            return jsonify(status=0, body={"message": "The app's server didn't answer."}), 200
        try:
            data = answer.json()
        except ValueError:
            data = {"message": f"The app answered {answer.status_code} without JSON."}
        return jsonify(status=answer.status_code, body=data), 200

    # -- OAuth -------------------------------------------------------------------------------------------------

    @app.get("/oauth/authorize")
    def authorize() -> str:
        portal, user = current()
        if request.args.get("client_id") != state.app.client_id:
            abort(400, "unknown client_id")
        if request.args.get("redirect_uri") != state.app.redirect_uri:
            abort(400, "redirect_uri is not the one registered for this app")
        return render_template("hubspot/authorize.html", portal=portal, user=user, args=request.args, state=state)

    @app.post("/oauth/authorize")
    def authorize_answer() -> Response:
        portal, user = current()
        redirect_uri = request.form.get("redirect_uri", "")
        if request.form.get("client_id") != state.app.client_id or redirect_uri != state.app.redirect_uri:
            abort(400)
        query = {"code": state.issue_code(Grant(portal.id, user.id), redirect_uri)} \
            if request.form.get("answer") == "allow" else {"error": "access_denied"}
        if request.form.get("state"):
            query["state"] = request.form["state"]
        return redirect(redirect_uri + "?" + urllib.parse.urlencode(query))

    @app.post("/oauth/v1/token")
    def token() -> tuple[Response, int] | Response:
        form = request.form
        if form.get("client_id") != state.app.client_id or form.get("client_secret") != state.app.client_secret:
            return jsonify(status="BAD_CLIENT_ID", message="unknown client"), 400
        if form.get("grant_type") == "authorization_code":
            tokens = state.redeem_code(form.get("code", ""), form.get("redirect_uri", ""))
        elif form.get("grant_type") == "refresh_token":
            tokens = state.refresh(form.get("refresh_token", ""))
        else:
            return jsonify(status="BAD_GRANT_TYPE", message="unsupported grant_type"), 400
        if tokens is None:
            return jsonify(status="BAD_AUTH_CODE", message="invalid grant"), 400
        state.calls.append(f"token:{form.get('grant_type')}")
        return jsonify(tokens)

    @app.get("/oauth/v1/access-tokens/<token_value>")
    def token_info(token_value: str) -> tuple[Response, int] | Response:
        grant = state.grant_for(token_value)
        if grant is None:
            return jsonify(status="error", message="not found"), 404
        user = state.portal(grant.portal_id).users[grant.user_id]
        return jsonify(hub_id=grant.portal_id, user_id=grant.user_id, user=user.email, app_id=int(state.app.app_id),
                       token_type="access", expires_in=1800, scopes=["oauth"])

    # -- API ---------------------------------------------------------------------------------------------------

    def api_portal() -> Portal:
        if state.fail_next:
            status = state.fail_next.pop(0)
            abort(Response('{"status":"error","message":"unavailable"}', status=status or 503,
                           mimetype="application/json"))
        header = request.headers.get("Authorization", "")
        grant = state.grant_for(header[7:]) if header.startswith("Bearer ") else None
        if grant is None:
            abort(Response('{"status":"error","category":"EXPIRED_AUTHENTICATION"}', status=401,
                           mimetype="application/json"))
        return state.portal(grant.portal_id)

    @app.get("/crm/v3/objects/<any(contacts, companies, deals):kind>/<int:object_id>")
    def crm_object(kind: str, object_id: int) -> tuple[Response, int] | Response:
        portal = api_portal()
        state.calls.append(f"{kind}/{object_id}")
        found = getattr(portal, kind).get(object_id)
        if found is None:
            return jsonify(status="error", category="OBJECT_NOT_FOUND"), 404
        wanted = set(filter(None, request.args.get("associations", "").split(",")))
        properties = set(filter(None, request.args.get("properties", "").split(",")))
        return jsonify({**found, "properties": {k: v for k, v in found["properties"].items() if k in properties},
                        "associations": {k: v for k, v in found.get("associations", {}).items() if k in wanted}})

    @app.get("/settings/v3/users/<int:user_id>")
    def user_by_id(user_id: int) -> tuple[Response, int] | Response:
        portal = api_portal()
        state.calls.append(f"users/{user_id}")
        found = portal.users.get(user_id)
        return jsonify(found.as_json()) if found else (jsonify(status="error", category="OBJECT_NOT_FOUND"), 404)

    # -- controls ----------------------------------------------------------------------------------------------

    @app.post("/_hubspot/fail-next")
    def fail_next() -> Response:
        body = request.get_json(force=True) or {}
        state.fail_next.extend([int(body.get("status", 503))] * int(body.get("n", 1)))
        return jsonify(ok=True)

    @app.post("/_hubspot/expire-access-tokens")
    def expire() -> Response:
        state.expire_access_tokens()
        return jsonify(ok=True)

    @app.get("/_hubspot/state")
    def summary() -> Response:
        return jsonify(installed=sorted(state.installed), calls=state.calls[-200:])

    return app


def _title(kind: str, found: dict[str, Any]) -> str:
    props = found["properties"]
    if kind == "contacts":
        return f"{props.get('firstname', '')} {props.get('lastname', '')}".strip()
    return str(props.get("name") or props.get("dealname") or "")
