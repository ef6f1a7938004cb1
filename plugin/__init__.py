"""The Xero invoice panel: a read-only CRM panel showing a customer's Xero invoices.

`create_app` is the only place the web app is built: settings, then services (plugin.services, the
composition root), then the features' blueprints, then the app-wide template filters. Importing the
package builds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_htmx import HTMX

from plugin import services, settings
from plugin.admin import views as admin_views
from plugin.embed import headers as embed_headers
from plugin.embed import session as embed_session
from plugin.hosts import freshworks_views, hubspot_views, pipedrive_views, salesforce_views
from plugin.panel import views as panel_views
from plugin.web import formatting, i18n, logs, metrics_route, request_limits
from plugin.web.paths import STATIC_DIR, TEMPLATES_DIR
from plugin.webhooks import views as webhook_views


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the panel app: defaults, then XERO_PANEL_* environment, then `config`.

    Pass `CLOCK` (a plugin.domain.clock.Clock) in `config` to fix time in tests, and `INSTANCE_PATH`
    (or XERO_PANEL_INSTANCE_PATH) to keep the SQLite file and generated keys somewhere else.
    """
    app = Flask(
        __name__,
        instance_path=settings.instance_path(config),
        instance_relative_config=True,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
    )
    settings.load_config(app, config)
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # keys and the SQLite file: ours only
    services.build(app)

    logs.init_app(app)  # first: every request, even one a later hook refuses, gets its request id
    HTMX(app)
    formatting.init_app(app)
    i18n.init_app(app)  # gettext in Jinja and Python, in the rep's language (plugin/web/i18n.py)
    embed_headers.init_app(app)
    embed_session.init_app(app)
    request_limits.init_app(app)

    app.register_blueprint(panel_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(webhook_views.bp)
    pipedrive_views.init_app(app)
    hubspot_views.init_app(app)
    salesforce_views.init_app(app)
    freshworks_views.init_app(app)
    app.register_blueprint(metrics_route.bp)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
