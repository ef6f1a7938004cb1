"""The framed routes, read from the app's url_map so a route added later is checked without editing a list."""

from __future__ import annotations

import re

FRAMED_PREFIXES = ("/panel", "/admin")
FIRST_LOADS = {"panel.first_load", "admin.integration_page"}  # ?context= from the CRM
# top-level window: ticket (GET asks, POST continues to Xero) / OAuth state
SIGN_IN_WINDOW = {"admin.connect_start", "admin.connect_continue", "admin.oauth_callback"}
SIGNED_URL = {"panel.changed"}  # a URL signed by us, no session (see plugin.webhooks.views)
# a new top-level tab: a random, short-lived ticket minted for one rep's record and one invoice (plugin.panel.views)
TICKET_URL = {"panel.invoice_pdf"}


def framed_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(FRAMED_PREFIXES)]


def concrete_path(rule) -> str:
    """The rule with every <argument> filled in with a harmless value."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda found: f"sample-{found.group(1)}", rule.rule)


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def session_routes(app) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) of every framed route that must need the X-Panel-Session header."""
    special = FIRST_LOADS | SIGN_IN_WINDOW | SIGNED_URL | TICKET_URL
    return [(method, concrete_path(rule), rule.endpoint) for rule in framed_rules(app)
            if rule.endpoint not in special for method in methods_of(rule)]


def admin_session_routes(app) -> list[tuple[str, str, str]]:
    return [route for route in session_routes(app) if route[2].startswith("admin.")]
