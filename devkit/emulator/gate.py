"""What every API call passes through, in Xero's order: bearer token, scope, tenant, limits, then faults.

Views decorated with `@guarded(...)` receive a `Caller` and return a Response; the gate adds the
X-*Limit-Remaining headers to every answer (only the app one on tenantless calls such as /connections).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request

from devkit.emulator import jwt, responses
from devkit.emulator.faults import TIMEOUT_HOLD_SECONDS
from devkit.emulator.state import EmulatorState

# Which token scopes open which endpoints: granular scopes and the broad ones they replace.
SCOPE_GROUPS: dict[str, frozenset[str]] = {
    "invoices": frozenset({"accounting.transactions", "accounting.transactions.read",
                           "accounting.invoices", "accounting.invoices.read"}),
    "payments": frozenset({"accounting.transactions", "accounting.transactions.read",
                           "accounting.payments", "accounting.payments.read"}),
    "contacts": frozenset({"accounting.contacts", "accounting.contacts.read"}),
    "settings": frozenset({"accounting.settings", "accounting.settings.read"}),
}


@dataclass(frozen=True)
class Caller:
    user_id: str
    client_id: str
    tenant_id: str | None
    claims: dict[str, Any]


def state() -> EmulatorState:
    return current_app.extensions["emulator"]


def guarded(scope_group: str | None, *, needs_tenant: bool = True) -> Callable:
    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            emulator = state()
            caller, refusal = _admit(emulator, scope_group, needs_tenant)
            if refusal is not None:
                return _with_limits(refusal, emulator, caller.tenant_id if caller else None)
            assert caller is not None
            try:
                response = _serve(emulator, caller, view, args, kwargs)
            finally:
                with emulator.lock:
                    emulator.limits.release(caller.tenant_id)
            return _with_limits(response, emulator, caller.tenant_id)
        return wrapper
    return decorate


def _admit(emulator: EmulatorState, scope_group: str | None,
           needs_tenant: bool) -> tuple[Caller | None, Response | None]:
    """Authenticate, authorise and take a limit slot; or say why not."""
    with emulator.lock:
        claims = _claims(emulator)
        if isinstance(claims, Response):
            return None, claims
        granted = set(claims.get("scope") or ())
        if scope_group is not None and not granted & SCOPE_GROUPS[scope_group]:
            return None, responses.problem(401, "AuthorizationUnsuccessful")
        tenant_id = None
        if needs_tenant:
            tenant_id = request.headers.get("xero-tenant-id", "").strip().lower()
            if not tenant_id or tenant_id not in emulator.orgs or emulator.connection_for(
                    claims["sub"], claims["client_id"], tenant_id) is None:
                return None, responses.problem(403, "AuthenticationUnsuccessful")
        caller = Caller(claims["sub"], claims["client_id"], tenant_id, claims)
        refusal = emulator.limits.acquire(tenant_id, emulator.now())
        if refusal is not None:
            return caller, responses.rate_limited(refusal.problem, refusal.retry_after)
        if tenant_id is not None:
            emulator.count_call(tenant_id)
        return caller, None


def _claims(emulator: EmulatorState) -> dict[str, Any] | Response:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return responses.problem(401, "AuthenticationUnsuccessful")
    try:
        claims = jwt.decode(header[7:].strip())
    except jwt.BadToken:
        return responses.problem(401, "AuthenticationUnsuccessful")
    if claims.get("exp", 0) <= emulator.now().timestamp():
        expired = datetime.fromtimestamp(claims.get("exp", 0), UTC).strftime("%m/%d/%Y %H:%M:%S")
        return responses.problem(401, f"TokenExpired: token expired at {expired}")
    if "sub" not in claims or "client_id" not in claims:
        return responses.problem(401, "AuthenticationUnsuccessful")
    return claims


def _serve(emulator: EmulatorState, caller: Caller, view: Callable[..., Response], args: tuple,
           kwargs: dict) -> Response:
    with emulator.lock:
        latency, fault = emulator.faults.latency, emulator.faults.draw()
        faults = emulator.faults
    faults.wait(latency)
    if fault == "timeout":
        faults.wait(TIMEOUT_HOLD_SECONDS)
        return responses.server_error(503)
    if fault in ("500", "503"):
        return responses.server_error(int(fault))
    if fault == "malformed":
        return responses.malformed_json()
    if fault == "notfound":
        return responses.not_found()
    with emulator.lock:
        return view(caller, *args, **kwargs)


def _with_limits(response: Response, emulator: EmulatorState, tenant_id: str | None) -> Response:
    with emulator.lock:
        response.headers.update(emulator.limits.headers(tenant_id, emulator.now()))
    return response
