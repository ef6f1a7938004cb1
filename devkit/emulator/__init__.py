"""A local Xero: identity server and Accounting API on one origin, true to Xero's specs, with controls.

    app = create_emulator(seed=1, clock=clock)  # clock: anything with now() and today() (devkit.clock.Clock)
    state = emulator_state(app)                 # Python control API (see state.py)
    tokens = state.issue_token_set()            # a token set for demo@example.com without the browser

Served on a socket: `devkit.emulator.server.serve_emulator(...)` (`.url`, `.app`, `.state`, `.stop()`).

Blueprints: identity.py (OAuth 2.0 / OpenID Connect, /connections), accounting.py (/api.xro/2.0),
controls.py (/_emulator, JSON), deeplink.py (/go, stand-in for go.xero.com), documents.py (invoice PDFs,
online invoices and /in, a stand-in for in.xero.com). Paths ignore case, as
Xero's do (routing.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import Flask, Response

from devkit.clock import Clock, SystemClock
from devkit.emulator.seed import DEMO_EMAIL, DEMO_PASSWORD
from devkit.emulator.state import EmulatorState

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "EmulatorState", "create_emulator", "emulator_state"]

EXTENSION_KEY = "emulator"


def create_emulator(*, seed: int = 1, clock: Clock | None = None, redirect_uris: Iterable[str] = (),
                    webhook_url: str | None = None, webhook_key: str | None = None) -> Flask:
    from devkit.emulator import accounting, controls, deeplink, documents, identity, responses
    from devkit.emulator.routing import CaseInsensitivePaths

    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    state = EmulatorState(seed=seed, clock=clock or SystemClock(), redirect_uris=redirect_uris,
                          webhook_url=webhook_url, webhook_key=webhook_key)
    app.extensions[EXTENSION_KEY] = state
    app.register_blueprint(identity.bp)
    app.register_blueprint(accounting.bp)
    app.register_blueprint(controls.bp)
    app.register_blueprint(deeplink.bp)
    app.register_blueprint(documents.bp)
    app.register_error_handler(404, lambda _error: responses.not_found())
    app.wsgi_app = CaseInsensitivePaths(app.wsgi_app, app.url_map)  # Xero's paths ignore case
    app.after_request(_correlation_id)
    return app


def _correlation_id(response: Response) -> Response:
    """Xero puts a Xero-Correlation-Id (a UUID) on its answers, the id its support asks for; so does the emulator."""
    response.headers.setdefault("Xero-Correlation-Id", str(uuid.uuid4()))
    return response


def emulator_state(app: Flask) -> EmulatorState:
    return app.extensions[EXTENSION_KEY]
