"""Request ids and JSON log lines: every line of a request carries its id, account and record, never a secret;
a Xero error's line carries Xero's correlation id."""

from __future__ import annotations

import io
import json
import logging
import re
from html import unescape

import pytest

from plugin import create_app
from plugin.web import logs
from tests.panel.conftest import SESSION_PATTERN, contact_record, text_of
from tests.web.conftest import METRICS_TOKEN

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def app_settings() -> dict:
    return {"LOG_FORMAT": "json", "METRICS_TOKEN": METRICS_TOKEN}


def json_lines(text: str) -> list[dict]:
    """Every line written, each one a JSON object (json.loads fails the test on any other)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_requests_lines_carry_its_id_account_and_record_and_no_secret(panel, customer, clock, capsys):
    record = contact_record(customer)
    context = panel.context(record)
    first = panel.client.get("/panel", query_string={"context": context}, headers={"X-Request-Id": "crm-req-0001"})
    assert first.status_code == 200 and first.headers["X-Request-Id"] == "crm-req-0001"
    found = SESSION_PATTERN.search(first.get_data(as_text=True))
    panel.session = unescape(found.group(1)).split('"X-Panel-Session": "')[1].split('"')[0]

    panel.emulator.state.fail_next(3, "500")  # the first try and both retries
    clock.advance(61)
    failed = panel.client.get("/panel/invoices", query_string={"view": "open", "fresh": "1"},
                              headers={"X-Panel-Session": panel.session, "HX-Request": "true",
                                       "X-Request-Id": "crm-req-0002"})
    assert "Xero isn't answering" in text_of(failed)
    assert failed.headers["X-Request-Id"] == "crm-req-0002"

    written = capsys.readouterr().err
    lines = json_lines(written)
    for request_id in ("crm-req-0001", "crm-req-0002"):
        mine = [line for line in lines if line.get("request_id") == request_id]
        assert mine, f"no line for {request_id}"
        assert all(line["account"] == "acct-1" and line["record"] == f"contact:{record['id']}" for line in mine)
        assert any(line["logger"] == "plugin.requests" and line["status"] == 200 for line in mine)
    done = next(line for line in lines if line.get("request_id") == "crm-req-0001" and line.get("path"))
    assert done["path"] == "/panel" and done["method"] == "GET"

    # The Xero error's line: the correlation id Xero (here the emulator) sent, as a key and in the text.
    error_line = next(line for line in lines if line.get("request_id") == "crm-req-0002" and line["level"] == "WARNING")
    assert "XeroUnavailable" in error_line["message"]
    assert UUID.match(error_line["xero_correlation_id"])
    assert f"Xero-Correlation-Id {error_line['xero_correlation_id']}" in error_line["message"]

    # Nothing secret: no context, no session token, no Xero token, no query string, no keys.
    for secret in (context, panel.session, "context=", "eyJ", "panel-tests-secret-key", "panel-tests-context-secret"):
        assert secret not in written


def test_a_sane_incoming_request_id_is_kept_and_anything_else_replaced(panel_app):
    client = panel_app.test_client()
    for sane in ("5f0c6a4e-1b2c-4d5e-8f90-123456789abc", "Root=1-67891233-abcdef012345678912345678", "req.42:a_b"):
        assert client.get("/healthz", headers={"X-Request-Id": sane}).headers["X-Request-Id"] == sane
    seen = set()
    for insane in (None, "", "has spaces", "<script>", "x" * 200, "-starts-with-a-dash", "ünïcode"):
        headers = {"X-Request-Id": insane} if insane is not None else {}
        given = client.get("/healthz", headers=headers).headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{32}", given), given
        seen.add(given)
    assert len(seen) == 7, "each request gets an id of its own"


def test_refused_requests_get_an_id_too(panel_app):
    response = panel_app.test_client().get("/panel/invoices", headers={"X-Request-Id": "crm-req-401"})
    assert response.status_code == 401
    assert response.headers["X-Request-Id"] == "crm-req-401"


def test_json_lines_are_scrubbed_of_anything_shaped_like_a_credential():
    stream = io.StringIO()
    logs.configure("json", stream=stream)
    try:
        log = logging.getLogger("plugin.tests")
        log.warning("GET /panel?context=abc.def.ghi&x=1 Authorization: Bearer s3cr3t code=oauth-code "
                    "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
                    extra={"access_token": "a-token", "panel_session": "a-session", "tenant": "t-1"})
        try:
            raise ValueError("refresh_token=rt-123")
        except ValueError:
            log.exception("failed")
    finally:
        logs.configure("plain")
    warning, failure = json_lines(stream.getvalue())
    assert warning["message"] == ("GET /panel?context=[redacted]&x=1 Authorization: Bearer [redacted] "
                                  "code=[redacted] token [redacted-jwt]")
    assert warning["tenant"] == "t-1"
    assert "access_token" not in warning and "panel_session" not in warning
    assert "rt-123" not in failure["exception"] and "refresh_token=[redacted]" in failure["exception"]
    assert "request_id" not in warning, "outside a request there is no request id"


def test_plain_format_leaves_logging_alone_and_an_unknown_format_is_refused(tmp_path, clock, panel_app):
    logger = logging.getLogger("plugin")

    def json_handlers() -> list:
        return [handler for handler in logger.handlers if isinstance(handler.formatter, logs.JsonFormatter)]

    assert len(json_handlers()) == 1 and not logger.propagate  # panel_app asked for JSON
    create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/plain.sqlite"})
    assert not json_handlers() and logger.propagate
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/bad.sqlite",
                    "LOG_FORMAT": "xml"})
