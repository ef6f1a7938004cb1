"""Answers shaped as Xero shapes them: JSON or XML bodies, problem-details 401/403, plain-text 404, 400 and 429."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request

from devkit.emulator.serialize import dumps, to_xml

JSON = "application/json; charset=utf-8"
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


def wants_json() -> bool:
    """Xero answers XML unless the caller asks for JSON."""
    return "application/json" in request.headers.get("Accept", "").lower()


def body(payload: dict[str, Any], status: int = 200) -> Response:
    if wants_json():
        return Response(dumps(payload), status=status, content_type=JSON)
    return Response(to_xml(payload), status=status, content_type="text/xml; charset=utf-8")


def problem(status: int, detail: str) -> Response:
    """401/403 as Xero sends them (always JSON, whatever the Accept header)."""
    title = {401: "Unauthorized", 403: "Forbidden"}.get(status, "Error")
    payload = {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": str(uuid.uuid4()),
               "Extensions": {}}
    return Response(dumps(payload), status=status, content_type=JSON)


def not_found() -> Response:
    return Response(NOT_FOUND_TEXT, status=404, content_type="text/plain; charset=utf-8")


def query_parse_error(message: str) -> Response:
    payload = {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}
    if wants_json():
        return Response(dumps(payload), status=400, content_type=JSON)
    return Response(to_xml(payload).replace("<Response>", "<ApiException>").replace("</Response>", "</ApiException>"),
                    status=400, content_type="text/xml; charset=utf-8")


def rate_limited(problem_name: str, retry_after: int) -> Response:
    response = Response("", status=429)
    response.headers["Retry-After"] = str(retry_after)
    response.headers["X-Rate-Limit-Problem"] = problem_name
    return response


def oauth_error(error: str, description: str = "", status: int = 400) -> Response:
    payload = {"error": error}
    if description:
        payload["error_description"] = description
    return Response(dumps(payload), status=status, content_type=JSON)


def server_error(status: int) -> Response:
    text = {500: "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
                 "for current service status.",
            503: "The Xero API is temporarily unavailable. Please try again later."}.get(status, "Error")
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


def malformed_json() -> Response:
    return Response('{"Id": "00000000-0000-0000-0000-000000000000", "Status": "OK", "Invoices": [{"InvoiceID": ',
                    status=200, content_type=JSON)
