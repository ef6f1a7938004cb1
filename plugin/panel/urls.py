"""`url_for` in templates, remembered per worker for the plain relative URLs the panel prints on every render.

A panel render printed a dozen URLs (tabs, filters, totals, refresh), each a werkzeug route build of
~20 µs, and always the same ones. Within a request, a relative URL depends only on the endpoint, its
values and the app's URL root (this app registers no url_defaults), so those are the key. Anything else
(`_external`, `_anchor` and the other underscore options, relative endpoint names, no request, values
that can't be hashed) goes to Flask's url_for as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, has_request_context, request

MAX_URLS = 4096


def remembering(url_for: Callable[..., str]) -> Callable[..., str]:
    known: dict[tuple, str] = {}

    def remembered_url_for(endpoint: str, **values: Any) -> str:
        if endpoint.startswith(".") or not has_request_context() or any(name.startswith("_") for name in values):
            return url_for(endpoint, **values)
        key = (endpoint, request.script_root, tuple(sorted(values.items())))
        try:
            found = known.get(key)
        except TypeError:  # an unhashable value
            return url_for(endpoint, **values)
        if found is None:
            found = url_for(endpoint, **values)
            if len(known) >= MAX_URLS:
                known.clear()
            known[key] = found
        return found

    return remembered_url_for


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = remembering(app.jinja_env.globals["url_for"])
