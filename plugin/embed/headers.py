"""Security headers for the framed pages (panel and admin): who may frame them, and what they may load.

`frame-ancestors` replaces X-Frame-Options (which would forbid the CRM from framing us), so that
header is removed on these routes. Tokens travel in URLs only on the first load: no-referrer and
no-store keep them out of Referer headers and caches.

A route that must never be framed (the Xero sign-in window, a top-level page) is marked `@top_level_only`:
it sets `frame-ancestors 'none'` itself, and `add_framed_headers` keeps a policy a view has already set.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, make_response, request
from werkzeug.wrappers import Response

from plugin.settings import crm_origins

FRAMED_PREFIXES = ("/panel", "/admin", "/hosts")


def init_app(app: Flask) -> None:
    app.after_request(add_framed_headers)


def add_frame_origins(app: Flask, origins: tuple[str, ...]) -> None:
    """A host (plugin/hosts) adds the origins its CRM frames the panel from, beside CRM_ORIGINS."""
    registered = app.extensions.setdefault("host_frame_origins", [])
    registered.extend(origin for origin in origins if origin not in registered)


def frame_origins(app: Flask) -> tuple[str, ...]:
    return (*crm_origins(app.config), *app.extensions.get("host_frame_origins", ()))


def content_security_policy(origins: tuple[str, ...]) -> str:
    ancestors = " ".join(origins) or "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"frame-ancestors {ancestors}"
    )


def is_framed_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in FRAMED_PREFIXES)


def top_level_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page under /admin or /panel that nobody may frame: no CRM origin in frame-ancestors, and
    X-Frame-Options for browsers that predate CSP frame-ancestors."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        response.headers["Content-Security-Policy"] = content_security_policy(())
        response.headers["X-Frame-Options"] = "DENY"
        return response

    return wrapper


def add_framed_headers(response: Response) -> Response:
    if not is_framed_path(request.path):
        return response
    if "Content-Security-Policy" not in response.headers:  # a view's own, stricter policy stays
        response.headers["Content-Security-Policy"] = content_security_policy(frame_origins(current_app))
        response.headers.pop("X-Frame-Options", None)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response
