"""A local Xero: identity server and Accounting API on one origin, true to Xero's specs, with controls.

    app = create_emulator(seed=1, clock=FixedClock.at("2026-03-01"))
    state = emulator_state(app)       # Python control API (see state.py)
    tokens = state.issue_token_set()  # a token set for demo@example.com without the browser

Blueprints: identity.py (OAuth 2.0 / OpenID Connect, /connections), accounting.py (/api.xro/2.0),
controls.py (/_emulator, JSON), deeplink.py (/go, stand-in for go.xero.com).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import Flask, Response

from plugin.domain.clock import Clock, SystemClock
from plugin.emulator.seed import DEMO_EMAIL, DEMO_PASSWORD
from plugin.emulator.state import EmulatorState

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "EmulatorState", "create_emulator", "emulator_state"]

EXTENSION_KEY = "emulator"


def create_emulator(*, seed: int = 1, clock: Clock | None = None, redirect_uris: Iterable[str] = (),
                    webhook_url: str | None = None, webhook_key: str | None = None) -> Flask:
    from plugin.emulator import accounting, controls, deeplink, identity, responses

    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    state = EmulatorState(seed=seed, clock=clock or SystemClock(), redirect_uris=redirect_uris,
                          webhook_url=webhook_url, webhook_key=webhook_key)
    app.extensions[EXTENSION_KEY] = state
    app.register_blueprint(identity.bp)
    app.register_blueprint(accounting.bp)
    app.register_blueprint(controls.bp)
    app.register_blueprint(deeplink.bp)
    app.register_error_handler(404, lambda _error: responses.not_found())
    app.after_request(_correlation_id)
    return app


def _correlation_id(response: Response) -> Response:
    """Xero puts a Xero-Correlation-Id (a UUID) on its answers, the id its support asks for; so does the emulator."""
    response.headers.setdefault("Xero-Correlation-Id", str(uuid.uuid4()))
    return response


def emulator_state(app: Flask) -> EmulatorState:
    return app.extensions[EXTENSION_KEY]
