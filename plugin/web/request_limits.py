"""Limits on what a request may carry, answered in plain words instead of being read.

Bodies: MAX_CONTENT_LENGTH (Flask refuses a larger body with 413; the largest body any route takes is
a Xero webhook batch). Query strings: MAX_QUERY_BYTES, checked before any view runs (414). The first
load carries a CRM context of about a kilobyte; every other parameter is a few characters. gunicorn
refuses request lines over its own limit (4094 bytes by default) before the app sees them.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException, RequestURITooLarge
from werkzeug.wrappers import Response

MAX_QUERY_BYTES = 8 * 1024

MESSAGES = {
    400: "The request could not be read.",
    413: "The request is larger than this app accepts.",
    414: "The address of this request is longer than this app accepts.",
}


def init_app(app: Flask) -> None:
    app.before_request(refuse_long_query_strings)
    for status in MESSAGES:
        app.register_error_handler(status, plain_refusal)


def refuse_long_query_strings() -> None:
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge()


def plain_refusal(error: HTTPException) -> Response:
    """A short text answer: htmx shows its own notice for any 4xx, and a person sees what was wrong."""
    status = error.code or 400
    message = MESSAGES.get(status, MESSAGES[400])
    return Response(message + "\n", status=status, mimetype="text/plain")
