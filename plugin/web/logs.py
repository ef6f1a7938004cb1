"""Request ids, and the app's logs as JSON lines (LOG_FORMAT=json) for a log pipeline to index.

Every request gets an id: the caller's `X-Request-Id` when it looks like one (a proxy or the CRM set it, so
their logs and ours can be joined), else a new one. It is sent back in the `X-Request-Id` response header
and is on every JSON line logged while the request runs, with the CRM account and record once the request
has shown whose they are (`g.embed`, set by plugin.embed.session). Each request ends with one line
(`plugin.requests`: method, path, status, milliseconds).

What a line never carries: a token, a CRM context, a query string (the path is logged without it: a first
load's query carries the context), or a session header. Lines are also scrubbed, as a second line of
defence, of anything shaped like a JWT, a bearer token or a `context=`/`code=`/`token=` parameter.

LOG_FORMAT=plain (the default) leaves logging as Python or the host configured it. JSON goes to stderr
from the `plugin` logger, at INFO and above, and does not propagate (so no line is written twice).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-Id"
APP_LOGGER = "plugin"
FORMATS = ("plain", "json")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@=+/-]{0,127}$")
_SCRUB = (
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"(?i)\b(context|code|token|access_token|refresh_token|id_token|client_secret|password|sig)="
                r"[^&\s\"']+"), r"\1=[redacted]"),
)
_SECRET_FIELD = re.compile(r"(?i)token|secret|password|context|session|authorization|cookie")
# LogRecord's own attributes; anything else on a record came from `extra=` and may become a JSON key.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}

requests_log = logging.getLogger(APP_LOGGER + ".requests")


def init_app(app: Flask) -> None:
    """Request ids on every request; JSON lines when LOG_FORMAT says so (register before other request hooks,
    so a request another hook refuses still gets its id)."""
    log_format = str(app.config.get("LOG_FORMAT") or "plain").lower()
    if log_format not in FORMATS:
        raise RuntimeError(f"XERO_PANEL_LOG_FORMAT must be 'plain' or 'json', not {log_format!r}.")
    configure(log_format)
    app.before_request(_assign_request_id)
    app.after_request(_finish_request)


# --- request ids ---------------------------------------------------------------------------------------------


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = _incoming_or_new(request.headers.get(REQUEST_ID_HEADER, ""))
    return g.request_id


def _incoming_or_new(incoming: str) -> str:
    incoming = incoming.strip()
    return incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _assign_request_id() -> None:
    request_id()
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    rid = request_id()
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
    started = g.get("request_started")
    if started is not None and requests_log.isEnabledFor(logging.INFO):
        took_ms = round((time.perf_counter() - started) * 1000, 2)
        requests_log.info("%s %s %s %.1f ms", request.method, request.path, response.status_code, took_ms,
                          extra={"method": request.method, "path": request.path, "status": response.status_code,
                                 "duration_ms": took_ms})
    return response


def request_fields() -> dict[str, str]:
    """request_id, account and record of the request being served, as far as known; {} outside a request."""
    if not has_request_context():
        return {}
    fields = {"request_id": request_id() or ""}
    embed = g.get("embed")
    if embed is not None:
        fields["account"] = str(getattr(embed, "account_id", ""))
        record = getattr(embed, "record", None)
        if record is not None:
            fields["record"] = f"{getattr(record, 'type', '')}:{getattr(record, 'id', '')}"
    return fields


# --- JSON lines ----------------------------------------------------------------------------------------------


def scrub(text: str) -> str:
    """`text` without anything shaped like a credential."""
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's id, account and record, and the
    simple `extra=` fields (xero_correlation_id, status, ...), except any whose name sounds secret."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            **request_fields(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in line or _SECRET_FIELD.search(key):
                continue
            if isinstance(value, str):
                line[key] = scrub(value)
            elif value is None or isinstance(value, bool | int | float):
                line[key] = value
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (gunicorn's, or a test's capture)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


_installed: logging.Handler | None = None


def configure(log_format: str, stream: TextIO | None = None) -> None:
    """Process-wide, as logging is: "json" puts one JSON handler on the `plugin` logger (again: replaced),
    "plain" takes it off. `stream`: where JSON goes instead of sys.stderr."""
    global _installed
    logger = logging.getLogger(APP_LOGGER)
    if _installed is not None:
        logger.removeHandler(_installed)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
        _installed = None
    if log_format == "json":
        handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        _installed = handler
