"""`GET /metrics`: the app's Prometheus metrics (plugin.runtime.metrics), for a scraper holding METRICS_TOKEN.

Off (404, as if the route did not exist) while METRICS_TOKEN is empty. With it set, only
`Authorization: Bearer <METRICS_TOKEN>` gets the figures; anything else gets 401. The figures name
organisations (tenant ids) and how busy the app is, which is nobody else's business.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from plugin.runtime import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if not token:
        abort(404)
    if not bearer_matches(request.headers.get("Authorization", ""), token):
        response = Response("a metrics token is needed\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    response = Response(body, status=200, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def bearer_matches(authorization: str, token: str) -> bool:
    """Whether the Authorization header is `Bearer <token>`, compared in constant time."""
    scheme, _, given = authorization.partition(" ")
    # Bytes: compare_digest refuses non-ASCII text, and any header text must be comparable.
    matches = hmac.compare_digest(given.strip().encode(), token.encode())
    return scheme.lower() == "bearer" and matches
