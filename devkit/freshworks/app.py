"""A small Freshsales on loopback (not Freshworks' code): the API reads our Freshworks app makes, and pages that
mimic the Freshworks placeholder host, running the app's own front end with a stub of the FDK client.

- API (header `Authorization: Token token=<API key>`, as Freshsales): `GET /crm/sales/api/contacts/{id}`,
  `/crm/sales/api/sales_accounts/{id}`, `/crm/sales/api/deals/{id}`, `/crm/sales/api/selector/owners`. A request
  sent through a request template carries the host it named in `X-Template-Host`; it must be this account's domain.
- Pages: `/` (records, the user picker), `/contacts/{id}`, `/accounts/{id}`, `/deals/{id}`: a record page with the
  app in its entity-menu placeholder, an iframe of `/app/index.html?instance=...` served from the written-out app,
  whose `{{{appclient}}}` is the stub client `/_fdk/client.js`.
- The stub client: `app.initialized()`; `client.data.get("currentEntityInfo" | "loggedInUser")` from
  `GET /_fdk/instance/{id}`; `client.request.invoke(fn, args)` POSTs to `/_fdk/invoke`, which runs the app's
  server/server.js under Node (fdk_runner.js) with the installation parameters added, and answers
  `{"response": <renderData's data>}` or the function's error with its status; `client.instance.resize()`.
- Controls (JSON, not Freshworks): `POST /_freshsales/fail-next {"n","status"}`, `GET /_freshsales/state`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, redirect, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response

from devkit.freshworks.smi import run_function
from devkit.freshworks.state import ADMIN_ID, FreshsalesState, User

HERE = Path(__file__).parent
USER_COOKIE = "fs_user"
API = "/crm/sales/api"
PLACEHOLDERS = {"contact": "contact_entity_menu", "sales_account": "sales_account_entity_menu",
                "deal": "deal_entity_menu"}


def create_freshsales(state: FreshsalesState, *, app_dir: str | Path, api_base: str,
                      now: Callable[[], float] | None = None) -> Flask:
    """`app_dir`: the app as `xero-panel package freshworks` wrote it; `api_base`: this server's own URL (where the
    Node runner sends the app's request templates); `now`: the serverless function's clock (default: real time)."""
    app = Flask("devkit.freshworks", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                static_url_path="/_fdk/static")
    app.extensions["freshsales_state"] = state
    app_root = Path(app_dir)

    def current() -> User:
        try:
            return state.users[int(request.cookies.get(USER_COOKIE) or ADMIN_ID)]
        except (KeyError, ValueError):
            return state.users[ADMIN_ID]

    # -- the API ----------------------------------------------------------------------------------------------

    def api_answer(body: dict[str, Any] | None) -> Response | tuple[Response, int]:
        expected = f"Token token={state.api_key}"
        host = request.headers.get("X-Template-Host")
        with state.lock:
            state.api_calls.append(request.path)
            failure = state.fail_next.pop(0) if state.fail_next else None
        if request.headers.get("Authorization") != expected:
            return jsonify(login="failed", message="Incorrect or expired API key"), 401
        if host is not None and host != state.domain:
            return jsonify(errors={"message": f"unknown host {host}"}), 404
        if failure:
            return jsonify(errors={"message": "injected failure"}), failure
        if body is None:
            return jsonify(errors={"code": 404, "message": ["Record not found"]}), 404
        return jsonify(body)

    @app.get(f"{API}/contacts/<int:record_id>")
    def api_contact(record_id: int) -> Any:
        contact = state.contacts.get(record_id)
        return api_answer({"contact": contact} if contact else None)

    @app.get(f"{API}/sales_accounts/<int:record_id>")
    def api_sales_account(record_id: int) -> Any:
        account = state.sales_accounts.get(record_id)
        return api_answer({"sales_account": account} if account else None)

    @app.get(f"{API}/deals/<int:record_id>")
    def api_deal(record_id: int) -> Any:
        deal = state.deals.get(record_id)
        return api_answer({"deal": deal} if deal else None)

    @app.get(f"{API}/selector/owners")
    def api_owners() -> Any:
        return api_answer({"users": [user.owner_json() for user in state.users.values()]})

    # -- pages ------------------------------------------------------------------------------------------------

    @app.get("/")
    def home() -> str:
        return render_template("freshworks/home.html", state=state, user=current())

    @app.post("/as")
    def sign_in_as() -> Response:
        response = redirect(request.form.get("next") or url_for("home"))
        if request.form.get("user", "").isdigit():
            response.set_cookie(USER_COOKIE, request.form["user"], samesite="Lax")
        return response

    @app.get("/<any(contacts, accounts, deals):kind>/<int:record_id>")
    def record_page(kind: str, record_id: int) -> str:
        entity_type = {"contacts": "contact", "accounts": "sales_account", "deals": "deal"}[kind]
        records = {"contact": state.contacts, "sales_account": state.sales_accounts, "deal": state.deals}
        record = records[entity_type].get(record_id)
        if record is None:
            abort(404)
        user = current()
        instance = state.open_instance(entity_type, record_id, user)
        return render_template("freshworks/record.html", state=state, user=user, record=record,
                               entity_type=entity_type, placeholder=PLACEHOLDERS[entity_type],
                               app_src=url_for("app_file", filename="index.html", instance=instance))

    # -- the app and the stub FDK client ----------------------------------------------------------------------

    @app.get("/app/<path:filename>")
    def app_file(filename: str) -> Response:
        if filename == "index.html":
            page = (app_root / "app" / "index.html").read_text(encoding="utf-8")
            page = page.replace("{{{appclient}}}", url_for("static", filename="fdk-client.js"))
            return Response(page, mimetype="text/html")
        return send_from_directory(app_root / "app", filename)

    @app.get("/_fdk/instance/<instance>")
    def instance_data(instance: str) -> Any:
        opened = state.instances.get(instance)
        if opened is None:
            return jsonify(status=404, message="unknown app instance"), 404
        user = state.users[opened["user_id"]]
        return jsonify(currentEntityInfo={"currentEntityId": opened["entity_id"],
                                          "currentEntityType": opened["entity_type"]},
                       loggedInUser=user.logged_in_user())

    @app.post("/_fdk/invoke")
    def invoke() -> Any:
        body = request.get_json(silent=True) or {}
        if body.get("instance") not in state.instances:
            return jsonify(status=401, message="unknown app instance"), 401
        args = body.get("args") if isinstance(body.get("args"), dict) else {}
        result = run_function(app_root, str(body.get("function", "")), {**args, "iparams": dict(state.iparams)},
                              api_base=api_base, now=now() if now else None)
        error = result.get("error")
        if error:
            status = error.get("status") if isinstance(error.get("status"), int) else 500
            return jsonify(status=status, message=str(error.get("message", "")), requestID="devkit"), status
        return jsonify(requestID="devkit", response=result.get("data"))

    # -- controls ---------------------------------------------------------------------------------------------

    @app.post("/_freshsales/fail-next")
    def fail_next() -> Any:
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.fail_next.extend([int(body.get("status", 500))] * int(body.get("n", 1)))
        return jsonify(ok=True)

    @app.get("/_freshsales/state")
    def show_state() -> Any:
        return jsonify(domain=state.domain, api_calls=state.api_calls, users=sorted(state.users),
                       contacts=sorted(state.contacts), sales_accounts=sorted(state.sales_accounts),
                       deals=sorted(state.deals))

    return app
