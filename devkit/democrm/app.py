"""Acme CRM: a small stand-in CRM that frames the panel from another origin, as a real CRM does.

Every detail page signs a fresh embedding context (context.py, HS256) for the record on screen and
the user picked in the header, and frames `{panel_url}/panel?context=<jwt>`. The integrations page
frames `{panel_url}/admin?context=<jwt>` for admins. The CRM remembers the chosen user in a cookie on
its own origin: it is first-party to itself, unlike the panel inside the iframe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from devkit.clock import Clock, SystemClock
from devkit.democrm.context import encode_context
from devkit.democrm.records import ADMIN_ID, USERS, CrmUser, Directory, Record, user_by_id
from devkit.paths import STATIC_DIR, TEMPLATES_DIR

DEFAULT_ACCOUNT_ID = "demo-crm-account"
EXTENSION_KEY = "democrm"
USER_COOKIE = "acme_crm_user"
WORKSPACE_NAME = "Acme CRM workspace"
ISSUER = "demo-crm"
AUDIENCE = "xero-invoice-panel"
# What the framed app may do: run its scripts on its own origin, submit forms, and open Xero
# (deep links, the OAuth sign-in popup) in windows that are not sandboxed themselves.
IFRAME_SANDBOX = "allow-scripts allow-same-origin allow-popups allow-forms allow-popups-to-escape-sandbox"
KINDS = {"contacts": "contact", "accounts": "account", "deals": "deal"}


def create_demo_crm(
    *,
    panel_url: str,
    context_secret: str,
    directory: Directory | Callable[[], Directory],
    account_id: str = DEFAULT_ACCOUNT_ID,
    clock: Clock | None = None,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
) -> Flask:
    """Build the CRM. `directory` may be a callable, so records can be drawn lazily from a live emulator.

    `panel_url` is read per request from `app.config["PANEL_URL"]`, so a launcher may fill it in after
    the panel has found its port.
    """
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR))
    app.config.update(PANEL_URL=panel_url.rstrip("/"), CRM_ACCOUNT_ID=account_id)
    app.extensions[EXTENSION_KEY] = _CrmState(directory, context_secret, clock or SystemClock(), issuer, audience)
    _register_routes(app)
    return app


class _CrmState:
    def __init__(self, directory: Directory | Callable[[], Directory], secret: str, clock: Clock,
                 issuer: str, audience: str) -> None:
        self._directory = directory
        self.secret, self.clock, self.issuer, self.audience = secret, clock, issuer, audience

    @property
    def directory(self) -> Directory:
        if callable(self._directory):
            self._directory = self._directory()
        return self._directory


def _state() -> _CrmState:
    return current_app.extensions[EXTENSION_KEY]


def crm_directory(app: Flask) -> Directory:
    """The CRM's contacts, accounts and deals (drawn from the emulator on first use), for tests and tools."""
    return app.extensions[EXTENSION_KEY].directory


def current_user() -> CrmUser:
    """The user picked in the header; `?as=<id>` picks one for this request (handy for links and tests)."""
    return user_by_id(request.args.get("as")) or user_by_id(request.cookies.get(USER_COOKIE)) or user_by_id(ADMIN_ID)


def frame_url(page: str, record: Record | None = None) -> str:
    """`{panel_url}/{page}?context=<freshly signed context>` for the current user and record."""
    state = _state()
    claims: dict[str, Any] = {
        "iss": state.issuer, "aud": state.audience,
        "account": current_app.config["CRM_ACCOUNT_ID"], "user": current_user().claims(),
    }
    claims["record"] = record.claims() if record else _workspace_record()
    token = encode_context(claims, state.secret, clock=state.clock)
    return f"{current_app.config['PANEL_URL']}/{page}?{urlencode({'context': token})}"


def _workspace_record() -> dict[str, str]:
    """The settings page shows no record, but the context format requires one: the CRM workspace itself."""
    account_id = current_app.config["CRM_ACCOUNT_ID"]
    return {"type": "account", "id": account_id, "name": WORKSPACE_NAME, "email": "", "company": WORKSPACE_NAME}


def _register_routes(app: Flask) -> None:
    @app.context_processor
    def chrome() -> dict[str, Any]:
        return {"user": current_user(), "users": USERS, "sandbox": IFRAME_SANDBOX,
                "panel_origin": current_app.config["PANEL_URL"], "section": request.path.split("/")[1]}

    @app.get("/")
    def home() -> str:
        return render_template("democrm/home.html", directory=_state().directory)

    @app.get("/<any(contacts, accounts, deals):kind>")
    def record_list(kind: str) -> str:
        records = getattr(_state().directory, kind)
        return render_template(f"democrm/{kind}.html", records=records)

    @app.get("/<any(contacts, accounts, deals):kind>/<record_id>")
    def record_detail(kind: str, record_id: str) -> str:
        directory = _state().directory
        record = directory.find(KINDS[kind], record_id) or abort(404)
        return render_template(f"democrm/{KINDS[kind]}.html", record=record, directory=directory,
                               panel_src=frame_url("panel", record))

    @app.get("/settings/integrations")
    def integrations() -> str:
        return render_template("democrm/integrations.html")

    @app.get("/settings/integrations/xero")
    def xero_integration() -> str:
        admin_src = frame_url("admin") if current_user().is_admin else None
        return render_template("democrm/xero.html", admin_src=admin_src)

    @app.post("/switch-user")
    def switch_user() -> Response:
        user = user_by_id(request.form.get("user")) or abort(400)
        response = redirect(_safe_next(request.form.get("next")))
        response.set_cookie(USER_COOKIE, user.id, httponly=True, samesite="Lax")
        return response

    @app.after_request
    def remember_user_from_query(response: Response) -> Response:
        picked = user_by_id(request.args.get("as"))
        if picked:
            response.set_cookie(USER_COOKIE, picked.id, httponly=True, samesite="Lax")
        return response

    @app.after_request
    def never_reuse_a_page(response: Response) -> Response:
        # A context is single-use: Back or Reload must fetch the page again to sign a fresh one.
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.template_global()
    def record_url(record: Record) -> str:
        return url_for("record_detail", kind=f"{record.type}s", record_id=record.id)


def _safe_next(target: str | None) -> str:
    """Only paths on this CRM: the switch must not become an open redirect."""
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")
