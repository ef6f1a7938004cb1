"""Limits on what a request may carry, answered in plain words instead of being read.

Bodies: MAX_CONTENT_LENGTH, checked before any view runs, for every route and method, whether or not the view
reads its body (413; the webhook blueprint answers 400 with a message instead). A body that gives its length is
refused on the header alone. A chunked body (no Content-Length) is read here, at most MAX_CONTENT_LENGTH + 1
bytes: over the limit it is refused, never cut short; within it, the bytes are kept as the request's data so
views and form parsing read them whole. Query strings: MAX_QUERY_BYTES (414). The first load carries a CRM
context of about a kilobyte; every other parameter is a few characters. gunicorn refuses request lines over its
own limit (4094 bytes by default) before the app sees them.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, RequestURITooLarge
from werkzeug.wrappers import Response

from plugin.domain.text import N_
from plugin.web import i18n

MAX_QUERY_BYTES = 8 * 1024
READ_CHUNK = 64 * 1024

MESSAGES = {
    400: N_("The request could not be read."),
    413: N_("The request is larger than this app accepts."),
    414: N_("The address of this request is longer than this app accepts."),
}


def init_app(app: Flask) -> None:
    app.before_request(refuse_long_query_strings)
    app.before_request(refuse_large_bodies)
    for status in MESSAGES:
        app.register_error_handler(status, plain_refusal)


def refuse_long_query_strings() -> None:
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge()


def refuse_large_bodies() -> None:
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    declared = request.headers.get("Content-Length")
    if declared is not None:
        if not declared.strip().isdigit():
            return  # Werkzeug reads a malformed length as 0: nothing is read
        if int(declared) > limit:
            raise RequestEntityTooLarge()
        return
    if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    # Read the raw input ourselves: Werkzeug's own stream either yields nothing (a server that does not set
    # wsgi.input_terminated) or stops at the limit, which a view reading get_data() could not tell from the end.
    source = request.environ["wsgi.input"]
    received = bytearray()
    while len(received) <= limit:
        chunk = source.read(min(READ_CHUNK, limit + 1 - len(received)))
        if not chunk:
            break
        received += chunk
    if len(received) > limit:
        raise RequestEntityTooLarge()
    request._cached_data = bytes(received)  # get_data() and form parsing read these bytes (Werkzeug's own cache)


def plain_refusal(error: HTTPException) -> Response:
    """A short text answer: htmx shows its own notice for any 4xx, and a person sees what was wrong."""
    status = error.code or 400
    message = MESSAGES.get(status, MESSAGES[400])
    return Response(i18n.translate(message) + "\n", status=status, mimetype="text/plain")
