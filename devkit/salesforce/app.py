"""A small Salesforce on loopback: the REST API reads the panel makes, and Lightning-like record pages that frame the
connected app's canvas exactly as Canvas does (a form POSTing `signed_request` into the iframe).

- REST (`/services/data/v<version>/`, `Authorization: Bearer <the signed request's oauthToken>`):
  `sobjects/{Contact|Account|Opportunity}/{id}?fields=...`, and `query?q=` for the two queries the panel makes
  (a primary OpportunityContactRole, a PermissionSetAssignment). Another org's id is a 404, an ended session a 401
  `INVALID_SESSION_ID`, and PermissionSetAssignment answers only users with View Setup and Configuration (others
  get 400 `INVALID_TYPE`), as in Salesforce. Errors are Salesforce's JSON: `[{"message", "errorCode"}]`.
- Pages: `/` (the signed-in user's org: records, user picker), `/lightning/r/{Object}/{id}/view` (a record page with
  the canvas component, as our Lightning wrapper places it: `parameters.recordId` and `sObjectName`; add
  `?location=visualforce` for `environment.record` instead), `/lightning/n/Xero_Invoices_Settings` (the admins'
  app page: `parameters.view = settings`).
- Controls (JSON, not Salesforce): `POST /_salesforce/end-sessions`, `POST /_salesforce/fail-next {"n","status"}`
  (the next n API answers; a status of 0 in `state.fail_next` lets that call through),
  `POST /_salesforce/delete {"org_id","object","id"}`, `GET /_salesforce/state`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from devkit.salesforce.signer import sign_envelope
from devkit.salesforce.state import ACME_ORG, ADMIN_ID, Org, SalesforceState, User

HERE = Path(__file__).parent
USER_COOKIE = "sf_user"
API_VERSION = "62.0"
OBJECTS = ("Contact", "Account", "Opportunity")
_FIELDS = re.compile(r"^[A-Za-z_]+(,[A-Za-z_]+)*$")
_ROLE_QUERY = re.compile(r"^SELECT ContactId FROM OpportunityContactRole WHERE OpportunityId = '([A-Za-z0-9]{15,18})' "
                         r"AND IsPrimary = true LIMIT 1$")
_ASSIGNMENT_QUERY = re.compile(r"^SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '([A-Za-z0-9]{15,18})' "
                               r"AND PermissionSet\.Name = '([A-Za-z0-9_]+)' LIMIT 1$")


def create_salesforce(state: SalesforceState) -> Flask:
    app = Flask("devkit.salesforce", template_folder=str(HERE / "templates"))
    app.extensions["salesforce_state"] = state

    def current() -> tuple[Org, User]:
        org_id, _, user_id = (request.cookies.get(USER_COOKIE) or f"{ACME_ORG}:{ADMIN_ID}").partition(":")
        org = state.orgs.get(org_id) or state.org(ACME_ORG)
        return org, org.users.get(user_id) or next(iter(org.users.values()))

    def signed_request(org: Org, user: User, *, parameters: dict[str, Any], record: dict[str, Any],
                       display_location: str) -> str:
        base = request.host_url.rstrip("/")
        canvas = urlsplit(state.app.canvas_url)
        envelope = {
            "algorithm": "HMACSHA256",
            "issuedAt": None,
            "userId": user.id,
            "client": {"clientId": state.app.consumer_key, "instanceId": f"_:Xero_Invoices:{org.id}",
                       "instanceUrl": base, "oauthToken": state.open_session(org.id, user.id),
                       "refreshToken": None, "targetOrigin": base},
            "context": {
                "user": user.context(),
                "organization": {"organizationId": org.id, "name": org.name, "currencyIsoCode": "NZD",
                                 "multicurrencyEnabled": False, "namespacePrefix": None},
                "environment": {"displayLocation": display_location, "locationUrl": request.url, "subLocation": None,
                                "uiTheme": "Theme4d", "parameters": parameters, "record": record,
                                "dimensions": {"width": "100%", "height": "640px", "maxWidth": "1000px",
                                               "maxHeight": "2000px", "clientWidth": "100%", "clientHeight": "640px"},
                                "version": {"api": API_VERSION, "season": "WINTER"}},
                "application": {"name": "Xero Invoices", "developerName": "Xero_Invoices", "authType": "SIGNED_REQUEST",
                                "canvasUrl": state.app.canvas_url, "namespace": "", "options": []},
                "links": {"restUrl": f"/services/data/v{API_VERSION}/",
                          "sobjectUrl": f"/services/data/v{API_VERSION}/sobjects/",
                          "queryUrl": f"/services/data/v{API_VERSION}/query/"},
            },
        }
        state.calls.append(f"signed_request {canvas.path}")
        return sign_envelope(envelope, state.app.consumer_secret)

    # -- pages -------------------------------------------------------------------------------------------------

    @app.get("/")
    def home() -> str:
        org, user = current()
        return render_template("salesforce/home.html", org=org, user=user, state=state)

    @app.post("/as")
    def sign_in_as() -> Response:
        response = redirect(request.form.get("next") or url_for("home"))
        if request.form.get("user"):
            response.set_cookie(USER_COOKIE, request.form["user"], samesite="Lax")
        return response

    @app.get("/lightning/r/<any(Contact, Account, Opportunity):object_name>/<record_id>/view")
    def record_page(object_name: str, record_id: str) -> str:
        org, user = current()
        record = org.objects(object_name).get(record_id)  # type: ignore[union-attr]
        if record is None:
            abort(404)
        if request.args.get("location") == "visualforce":
            parameters: dict[str, Any] = {}
            environment_record = {"attributes": {"type": object_name,
                                                 "url": f"/services/data/v{API_VERSION}/sobjects/{object_name}/"
                                                        f"{record_id}"}, "Id": record_id}
            location = "Visualforce"
        else:
            parameters, environment_record, location = {"recordId": record_id, "sObjectName": object_name}, {}, "Aura"
        signed = signed_request(org, user, parameters=parameters, record=environment_record, display_location=location)
        return render_template("salesforce/record.html", org=org, user=user, object_name=object_name, record=record,
                               signed_request=signed, canvas_url=state.app.canvas_url, state=state)

    @app.get("/lightning/n/Xero_Invoices_Settings")
    def settings_page() -> str:
        org, user = current()
        signed = signed_request(org, user, parameters={"view": "settings"}, record={}, display_location="Aura")
        return render_template("salesforce/settings.html", org=org, user=user, signed_request=signed,
                               canvas_url=state.app.canvas_url, state=state)

    # -- REST API ----------------------------------------------------------------------------------------------

    @app.get(f"/services/data/v{API_VERSION}/sobjects/<object_name>/<record_id>")
    def sobject(object_name: str, record_id: str) -> tuple[Response, int] | Response:
        org, refused = _caller(state)
        if refused is not None:
            return refused
        records = org.objects(object_name) if org else None
        if records is None:
            return _error(404, "NOT_FOUND", f"The requested resource does not exist: {object_name}")
        fields = request.args.get("fields", "")
        if fields and not _FIELDS.match(fields):
            return _error(400, "MALFORMED_QUERY", "fields must be a comma-separated list")
        record = records.get(record_id)
        if record is None:
            return _error(404, "NOT_FOUND", "The requested resource does not exist")
        chosen = fields.split(",") if fields else list(record)
        unknown = [name for name in chosen if name not in record]
        if unknown:
            return _error(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{object_name}'")
        body = {"attributes": {"type": object_name,
                               "url": f"/services/data/v{API_VERSION}/sobjects/{object_name}/{record_id}"},
                **{name: record[name] for name in chosen}}
        return jsonify(body)

    @app.get(f"/services/data/v{API_VERSION}/query")
    def query() -> tuple[Response, int] | Response:
        org, refused = _caller(state)
        if refused is not None:
            return refused
        assert org is not None
        soql = request.args.get("q", "")
        session = state.session(_bearer())
        user = org.users.get(session.user_id) if session else None
        if (found := _ROLE_QUERY.match(soql)) is not None:
            rows = [{"attributes": {"type": "OpportunityContactRole"}, "ContactId": role["ContactId"]}
                    for role in org.contact_roles if role["OpportunityId"] == found.group(1) and role["IsPrimary"]]
            return jsonify(totalSize=len(rows[:1]), done=True, records=rows[:1])
        if (found := _ASSIGNMENT_QUERY.match(soql)) is not None:
            if user is None or not user.view_setup:
                return _error(400, "INVALID_TYPE", "sObject type 'PermissionSetAssignment' is not supported.")
            assignee = org.users.get(found.group(1))
            rows = [{"attributes": {"type": "PermissionSetAssignment"}, "Id": f"0Pa{assignee.id[3:]}"}] \
                if assignee is not None and found.group(2) in assignee.permission_sets else []
            return jsonify(totalSize=len(rows), done=True, records=rows)
        return _error(400, "MALFORMED_QUERY", "The dev kit's Salesforce answers only the panel's two queries.")

    # -- controls ----------------------------------------------------------------------------------------------

    @app.post("/_salesforce/end-sessions")
    def end_sessions() -> Response:
        state.end_sessions()
        return jsonify(ok=True)

    @app.post("/_salesforce/fail-next")
    def fail_next() -> Response:
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.fail_next.extend([int(body.get("status", 503))] * int(body.get("n", 1)))
        return jsonify(ok=True)

    @app.post("/_salesforce/delete")
    def delete() -> Response:
        body = request.get_json(silent=True) or {}
        return jsonify(deleted=state.delete(str(body.get("org_id", ACME_ORG)), str(body.get("object", "")),
                                            str(body.get("id", ""))))

    @app.get("/_salesforce/state")
    def show_state() -> Response:
        return jsonify(orgs={org.id: {"name": org.name, "users": list(org.users), "contacts": len(org.contacts),
                                      "accounts": len(org.accounts), "opportunities": len(org.opportunities)}
                             for org in state.orgs.values()},
                       sessions=len(state.sessions), calls=state.calls[-50:])

    return app


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer "):] if header.startswith("Bearer ") else ""


def _caller(state: SalesforceState) -> tuple[Org | None, tuple[Response, int] | None]:
    state.calls.append(f"{request.method} {request.path}")
    with state.lock:
        status = state.fail_next.pop(0) if state.fail_next else 0
    if status:
        return None, _error(status, "SERVER_ERROR", "The dev kit was told to fail this call.")
    session = state.session(_bearer())
    if session is None:
        return None, _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
    return state.org(session.org_id), None


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify([{"message": message, "errorCode": code}]), status
