"""First load with a CRM context, follow-ups with the X-Panel-Session header only, admin-only pages,
and the headers every framed page carries."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner
from flask import Blueprint, g

from plugin import create_app
from plugin.cli import main
from plugin.embed import cli as embed_cli
from plugin.embed.context import encode_context
from plugin.embed.headers import top_level_only
from plugin.embed.session import (
    ADMIN_ONLY_MESSAGE,
    RENEWED_HEADER,
    SESSION_HEADER,
    context_secret,
    require_admin,
    require_embed_context,
    require_panel_session,
)

SECRET = "crm-shared-secret-for-tests-0123456789"


def probe_blueprint() -> Blueprint:
    """Stand-in views under /panel and /admin that show what the decorators let through."""
    bp = Blueprint("probe", __name__)

    @bp.get("/panel/probe/open")
    @require_embed_context
    def open_panel():
        return {"account": g.embed.account_id, "record": g.embed.record.id, "session": g.panel_session}

    @bp.route("/panel/probe/data", methods=["GET", "POST"])
    @require_panel_session
    def data():
        return {"account": g.embed.account_id, "record": g.embed.record.id, "user": g.embed.user.id}

    @bp.get("/admin/probe")
    @require_panel_session
    @require_admin
    def admin_page():
        return {"admin": g.embed.user.email}

    @bp.get("/admin/probe/window")
    @top_level_only
    def top_level_window():
        return "a page for a window of its own"

    return bp


@pytest.fixture
def embed_app(tmp_path, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
                      "CONTEXT_SECRET": SECRET, "CRM_ORIGINS": "https://crm.example https://eu.crm.example"})
    app.register_blueprint(probe_blueprint())
    return app


@pytest.fixture
def web(embed_app):
    return embed_app.test_client()


def context(clock, *, account="acct-A", role="member", record_id="42", secret=SECRET) -> str:
    claims = {"iss": "demo-crm", "aud": "xero-invoice-panel", "account": account,
              "user": {"id": f"{role}-1", "email": f"{role}@example.com", "role": role},
              "record": {"type": "contact", "id": record_id}}
    return encode_context(claims, secret, clock=clock)


def open_session(web, clock, **kwargs) -> str:
    answer = web.get("/panel/probe/open", query_string={"context": context(clock, **kwargs)})
    assert answer.status_code == 200, answer.text
    return answer.json["session"]


def test_first_load_verifies_the_context_and_issues_a_session(web, clock):
    session = open_session(web, clock)
    answer = web.get("/panel/probe/data", headers={SESSION_HEADER: session})
    assert answer.json == {"account": "acct-A", "record": "42", "user": "member-1"}


def test_the_same_context_url_works_only_once(web, clock):
    url_context = context(clock)
    assert web.get("/panel/probe/open", query_string={"context": url_context}).status_code == 200
    replay = web.get("/panel/probe/open", query_string={"context": url_context})
    assert replay.status_code == 401 and "already used" in replay.text


@pytest.mark.parametrize("how", ["cookie", "query string", "form field", "nothing"])
def test_the_session_is_accepted_from_the_header_only(web, clock, how):
    session = open_session(web, clock)
    if how == "cookie":
        web.set_cookie(SESSION_HEADER, session)
        answer = web.post("/panel/probe/data")
    elif how == "query string":
        answer = web.get("/panel/probe/data", query_string={"session": session, SESSION_HEADER: session})
    elif how == "form field":
        answer = web.post("/panel/probe/data", data={"session": session, SESSION_HEADER: session})
    else:
        answer = web.post("/panel/probe/data")
    assert answer.status_code == 401
    assert "panel session" in answer.text and "acct-A" not in answer.text


def test_a_crm_context_cannot_stand_in_for_a_panel_session(web, clock):
    answer = web.get("/panel/probe/data", headers={SESSION_HEADER: context(clock)})
    assert answer.status_code == 401


def test_a_session_expires_after_fifteen_minutes(web, clock):
    session = open_session(web, clock)
    clock.advance(minutes=16)
    answer = web.get("/panel/probe/data", headers={SESSION_HEADER: session})
    assert answer.status_code == 401 and "expired" in answer.text


def data_with(web, token: str):
    return web.get("/panel/probe/data", headers={SESSION_HEADER: token})


def test_a_session_in_its_last_five_minutes_gets_a_fresh_token_in_a_response_header(web, clock):
    first = open_session(web, clock)
    clock.advance(9 * 60)
    assert RENEWED_HEADER not in data_with(web, first).headers  # not due yet
    clock.advance(2 * 60)
    answer = data_with(web, first)
    assert answer.status_code == 200
    renewed = answer.headers[RENEWED_HEADER]
    assert renewed != first
    clock.advance(9 * 60)  # 20 minutes after the first load
    assert data_with(web, first).status_code == 401
    carried_on = data_with(web, renewed)
    assert carried_on.status_code == 200 and carried_on.json["account"] == "acct-A"


def test_renewals_stop_twelve_hours_after_the_panel_was_opened(web, clock):
    token, opened_at, last_success = open_session(web, clock), clock.now(), None
    while True:
        clock.advance(11 * 60)
        answer = data_with(web, token)
        if answer.status_code != 200:
            break
        last_success = clock.now()
        token = answer.headers.get(RENEWED_HEADER, token)
    assert answer.status_code == 401
    assert "open for 12 hours" in answer.text and "Reload the page" in answer.text
    assert timedelta(hours=11, minutes=45) <= last_success - opened_at <= timedelta(hours=12)
    assert clock.now() - opened_at > timedelta(hours=12)


def swapped_payload(token: str, donor: str) -> str:
    """`token`'s timestamp and signature on `donor`'s payload (itsdangerous: payload.timestamp.signature)."""
    _payload, timestamp, signature = token.rsplit(".", 2)
    return f"{donor.rsplit('.', 2)[0]}.{timestamp}.{signature}"


def test_a_tampered_session_is_refused(web, clock):
    token = open_session(web, clock)
    other = open_session(web, clock, account="acct-B")
    answer = web.get("/panel/probe/data", headers={SESSION_HEADER: swapped_payload(token, other)})
    assert answer.status_code == 401
    _payload, timestamp, signature = token.rsplit(".", 2)
    for forged in (f"{_payload}.{timestamp}.{signature[:-2]}AA", f"{_payload}.{timestamp}x.{signature}",
                   token + ".", "." + token, token.upper()):
        assert web.get("/panel/probe/data", headers={SESSION_HEADER: forged}).status_code == 401


def test_a_session_from_another_app_secret_is_refused(web, clock, tmp_path):
    foreign = create_app({"TESTING": True, "CLOCK": clock, "SECRET_KEY": "another-deployment-secret-key",
                          "DATABASE_URL": f"sqlite:///{tmp_path}/other.sqlite", "CONTEXT_SECRET": SECRET})
    foreign.register_blueprint(probe_blueprint())
    session = open_session(foreign.test_client(), clock)
    assert web.get("/panel/probe/data", headers={SESSION_HEADER: session}).status_code == 401


def test_members_are_refused_on_admin_pages_in_plain_words(web, clock):
    answer = web.get("/admin/probe", headers={SESSION_HEADER: open_session(web, clock, role="member")})
    assert answer.status_code == 403
    assert ADMIN_ONLY_MESSAGE in answer.text and "member@example.com" not in answer.text


def test_admins_get_admin_pages(web, clock):
    answer = web.get("/admin/probe", headers={SESSION_HEADER: open_session(web, clock, role="admin")})
    assert answer.json == {"admin": "admin@example.com"}


def test_a_bad_context_page_says_what_is_wrong_and_escapes_nothing_into_html(web):
    answer = web.get("/panel/probe/open", query_string={"context": "<script>alert(1)</script>"})
    assert answer.status_code == 401
    assert "could not be read" in answer.text and "<script>" not in answer.text


def test_framed_routes_carry_frame_ancestors_and_no_x_frame_options(web, clock):
    for answer in (
        web.get("/panel/probe/open", query_string={"context": context(clock)}),
        web.get("/panel/probe/data"),  # errors too
        web.get("/admin/probe"),
        web.get("/panel/no-such-page"),
    ):
        csp = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors https://crm.example https://eu.crm.example" in csp
        assert "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:" in csp
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["Cache-Control"] == "no-store"
        assert "HX-Request" in answer.headers["Vary"]
        assert "X-Frame-Options" not in answer.headers


def test_a_top_level_only_route_keeps_its_own_policy_and_refuses_every_frame(web):
    answer = web.get("/admin/probe/window")
    csp = answer.headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors 'none'") and "crm.example" not in csp
    assert "script-src 'self'" in csp
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer" and answer.headers["Cache-Control"] == "no-store"


def test_other_routes_do_not_get_the_framed_headers(web):
    assert "Content-Security-Policy" not in web.get("/healthz").headers


def test_context_command_prints_a_url_the_panel_accepts(web, embed_app, clock, monkeypatch, capsys):
    monkeypatch.setenv("XERO_PANEL_CONTEXT_SECRET", SECRET)
    monkeypatch.setattr(embed_cli, "SystemClock", lambda: clock)
    result = CliRunner().invoke(main, [
        "context", "--account", "acct-Z", "--role", "admin", "--record", "deal:77", "--email", "d@x.test",
        "--name", "Deal", "--company", "Acme", "--user-id", "u9", "--user-email", "boss@example.com",
        "--user-name", "Boss", "--locale", "en-GB", "--timezone", "Europe/London", "--page", "admin",
        "--base-url", "http://panel.test"])
    assert result.exit_code == 0, result.output
    printed = urlparse(result.output.strip())
    assert (printed.netloc, printed.path) == ("panel.test", "/admin")
    token = parse_qs(printed.query)["context"][0]
    answer = web.get("/panel/probe/open", query_string={"context": token})
    assert answer.json["account"] == "acct-Z" and answer.json["record"] == "77"


def test_while_the_context_secret_rotates_contexts_signed_with_either_secret_are_accepted(tmp_path, clock):
    old, new = "the-old-context-secret-0123456789", "the-new-context-secret-0123456789"
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/rot.sqlite",
                      "CONTEXT_SECRET": f"{new} {old}"})
    app.register_blueprint(probe_blueprint())
    client = app.test_client()
    for secret in (new, old):
        opened = client.get("/panel/probe/open", query_string={"context": context(clock, secret=secret)})
        assert opened.status_code == 200, opened.text
    stranger = context(clock, secret="a-secret-nobody-configured-012345")
    refused = client.get("/panel/probe/open", query_string={"context": stranger})
    assert refused.status_code == 401 and "signature" in refused.text
    with app.app_context():
        assert context_secret() == new, "new contexts (e.g. xero-panel context) are signed with the newest"


def test_admin_sessions_renew_for_at_most_an_hour_after_their_context(web, clock):
    """A demoted admin keeps the admin page open for an hour at most, not twelve."""
    token, opened_at, last_success = open_session(web, clock, role="admin"), clock.now(), None
    while True:
        clock.advance(11 * 60)
        answer = web.get("/admin/probe", headers={SESSION_HEADER: token})
        if answer.status_code != 200:
            break
        last_success = clock.now()
        token = answer.headers.get(RENEWED_HEADER, token)
    assert answer.status_code == 401 and "Reload the page" in answer.text and "an hour" in answer.text
    assert timedelta(minutes=45) <= last_success - opened_at <= timedelta(hours=1)
    assert clock.now() - opened_at <= timedelta(hours=1, minutes=11)
