"""HTTP mirror of the Python control API, under /_emulator (JSON in, JSON out). Listed at GET /_emulator/.

Not part of Xero: a separate prefix so that nothing in the product can mistake it for the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from devkit.emulator.gate import state
from devkit.emulator.seed import DEMO_EMAIL

bp = Blueprint("emulator_controls", __name__, url_prefix="/_emulator")

CONTROLS = {
    "GET /_emulator/": "this list",
    "GET /_emulator/tenants": "seeded organisations: tenant_id, name, short_code, base_currency",
    "GET /_emulator/customers?tenant_id=": "seeded active customers (contact_id, name, email, ...)",
    "POST /_emulator/token": '{"email", "tenant_ids", "scopes"} -> token set, skipping the browser',
    "POST /_emulator/latency": '{"seconds": 0.5} added to every Accounting/connections call',
    "POST /_emulator/fail-next": '{"n": 2, "kind": "500|503|timeout|malformed|notfound"}',
    "POST /_emulator/fail-share": '{"share": 0.2, "kind": "503"}',
    "POST /_emulator/exhaust": '{"tenant_id", "which": "minute|day|concurrent|app"}',
    "POST /_emulator/reset-faults": "no latency or failures, fresh limit windows",
    "POST /_emulator/reset": "reset faults, call counts and data changes",
    "GET /_emulator/calls?tenant_id=": '{"calls": n} Accounting API calls served',
    "POST /_emulator/calls/reset": "zero the call counts",
    "POST /_emulator/payments": '{"invoice_id", "amount", "date", "reference"} -> {"payment_id"}',
    "POST /_emulator/invoices": '{"tenant_id", "contact_id", ...fields} -> {"invoice_id"}',
    "POST /_emulator/invoices/<id>/void": "void (or delete, when DRAFT) an invoice",
    "POST /_emulator/redirect-uris": '{"uri"} registers a redirect URI for the demo client',
    "POST /_emulator/clock/advance": '{"seconds"} moves a fixed clock (tests only)',
    "POST /_emulator/large-organisation": '{"invoices": 100000, "contacts": 2000} -> {"tenant_id"}',
}


def _json() -> dict[str, Any]:
    return request.get_json(silent=True) or {}


@bp.errorhandler(ValueError)
@bp.errorhandler(KeyError)
@bp.errorhandler(TypeError)
def _bad_request(error: Exception) -> tuple[Response, int]:
    return jsonify({"error": str(error)}), 400


@bp.get("/")
def index() -> Response:
    return jsonify(CONTROLS)


@bp.get("/tenants")
def tenants() -> Response:
    return jsonify(state().tenants)


@bp.get("/customers")
def customers() -> Response:
    return jsonify(state().customers(request.args.get("tenant_id") or None))


@bp.post("/token")
def token() -> Response:
    body = _json()
    return jsonify(state().issue_token_set(body.get("email", DEMO_EMAIL), body.get("tenant_ids"), body.get("scopes")))


@bp.post("/latency")
def latency() -> Response:
    state().set_latency(float(_json().get("seconds", 0)))
    return jsonify({"ok": True})


@bp.post("/fail-next")
def fail_next() -> Response:
    body = _json()
    state().fail_next(int(body.get("n", 1)), body.get("kind", "500"))
    return jsonify({"ok": True})


@bp.post("/fail-share")
def fail_share() -> Response:
    body = _json()
    state().fail_share(float(body["share"]), body.get("kind", "500"))
    return jsonify({"ok": True})


@bp.post("/exhaust")
def exhaust() -> Response:
    body = _json()
    state().exhaust_limit(body.get("tenant_id"), body.get("which", "minute"))
    return jsonify({"ok": True})


@bp.post("/reset-faults")
def reset_faults() -> Response:
    state().reset_faults()
    return jsonify({"ok": True})


@bp.post("/reset")
def reset() -> Response:
    state().reset()
    return jsonify({"ok": True})


@bp.get("/calls")
def calls() -> Response:
    return jsonify({"calls": state().api_calls(request.args.get("tenant_id") or None)})


@bp.post("/calls/reset")
def reset_calls() -> Response:
    state().reset_call_counts()
    return jsonify({"ok": True})


@bp.post("/payments")
def add_payment() -> Response:
    body = _json()
    payment_id = state().add_payment(body["invoice_id"], body["amount"], _date(body.get("date")),
                                     body.get("reference", ""))
    return jsonify({"payment_id": payment_id})


@bp.post("/invoices")
def create_invoice() -> Response:
    body = dict(_json())
    tenant_id, contact_id = body.pop("tenant_id"), body.pop("contact_id")
    return jsonify({"invoice_id": state().create_invoice(tenant_id, contact_id, **body)})


@bp.post("/invoices/<invoice_id>/void")
def void_invoice(invoice_id: str) -> Response:
    state().void_invoice(invoice_id)
    return jsonify({"ok": True})


@bp.post("/redirect-uris")
def redirect_uris() -> Response:
    state().register_redirect_uri(_json()["uri"])
    return jsonify({"ok": True})


@bp.post("/clock/advance")
def advance_clock() -> Response:
    clock = state().clock
    if not hasattr(clock, "advance"):
        raise ValueError("the emulator runs on the system clock; only a fixed clock can be moved")
    clock.advance(float(_json().get("seconds", 0)))
    return jsonify({"now": clock.now().isoformat()})


@bp.post("/large-organisation")
def large_organisation() -> Response:
    body = _json()
    tenant_id = state().add_large_organisation(int(body.get("invoices", 100_000)), int(body.get("contacts", 2_000)))
    return jsonify({"tenant_id": tenant_id})


def _date(value: Any):
    from datetime import date

    return date.fromisoformat(value) if value else None
