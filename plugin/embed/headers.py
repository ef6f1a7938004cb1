"""Security headers for the framed pages (panel and admin): who may frame them, and what they may load.

`frame-ancestors` replaces X-Frame-Options (which would forbid the CRM from framing us), so that
header is removed on these routes. Tokens travel in URLs only on the first load: no-referrer and
no-store keep them out of Referer headers and caches.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

from plugin.config import crm_origins

FRAMED_PREFIXES = ("/panel", "/admin")


def init_app(app: Flask) -> None:
    app.after_request(add_framed_headers)


def content_security_policy(origins: tuple[str, ...]) -> str:
    ancestors = " ".join(origins) or "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"frame-ancestors {ancestors}"
    )


def is_framed_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in FRAMED_PREFIXES)


def add_framed_headers(response: Response) -> Response:
    if not is_framed_path(request.path):
        return response
    response.headers["Content-Security-Policy"] = content_security_policy(crm_origins(current_app.config))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers.pop("X-Frame-Options", None)
    response.vary.add("HX-Request")
    return response
