"""Who may open the Xero settings and act on them: admins of the account, with a valid context and session."""

from __future__ import annotations

import pytest

from plugin.embed.context import encode_context
from tests.admin.conftest import CONTEXT_SECRET, context_claims

ADMIN_ONLY = "Only admins can configure the Xero integration"
POSTS = ["/admin/connect/ticket", "/admin/save", "/admin/remove", "/admin/organisation"]


def test_an_admin_gets_the_integration_page_with_a_session_header_for_htmx(admin):
    page = admin.open()
    assert page.status_code == 200
    assert "Apps &amp; Integrations" in page.text
    assert "Connect to Xero" in page.text
    assert admin.session_token
    assert "Set-Cookie" not in page.headers


def test_a_member_is_refused_with_plain_words(panel_server, emulator):
    member = panel_server.admin(emulator, role="member", user_id="rep-7")
    page = member.open()
    assert page.status_code == 403
    assert ADMIN_ONLY in page.text
    assert "Connect to Xero" not in page.text


def test_a_members_own_panel_session_cannot_reach_admin_actions(panel_server, emulator, admin):
    """A member who lifts a session token from their panel still cannot configure anything."""
    from plugin.embed.context import context_from_claims
    from plugin.embed.session import issue_panel_session

    with panel_server.app.test_request_context():
        admin.session_token = issue_panel_session(context_from_claims({
            **context_claims("acct-1", role="member"), "jti": "j", "exp": 0}))
    for path in POSTS:
        answer = admin.post(path)
        assert answer.status_code == 403, path
        assert ADMIN_ONLY in answer.text


def test_a_context_signed_with_another_secret_is_refused(admin):
    forged = encode_context(context_claims(), "not-the-crm-secret-at-all-000000", clock=admin.clock)
    page = admin.open(forged)
    assert page.status_code == 401
    assert "signature" in page.text
    assert not admin.session_token


def test_an_expired_context_is_refused(admin):
    stale = encode_context({**context_claims(), "iat": int(admin.clock.now().timestamp()) - 3600,
                            "exp": int(admin.clock.now().timestamp()) - 3000}, CONTEXT_SECRET, clock=admin.clock)
    page = admin.open(stale)
    assert page.status_code == 401
    assert "expired" in page.text


def test_a_context_for_another_app_is_refused(admin):
    page = admin.open(encode_context({**context_claims(), "aud": "someone-else"}, CONTEXT_SECRET, clock=admin.clock))
    assert page.status_code == 401


def test_a_context_cannot_be_used_twice(admin):
    context = admin.context()
    assert admin.open(context).status_code == 200
    assert admin.open(context).status_code == 401


@pytest.mark.parametrize("path", POSTS)
def test_every_post_needs_the_panel_session_header(admin, path):
    """No header, no action: a cross-site form or a cookie can never stand in for it (CSRF)."""
    admin.open()
    admin.session_token = ""
    answer = admin.post(path)
    assert answer.status_code == 401


@pytest.mark.parametrize("path", ["/admin/status", "/admin/diagnostics", "/admin/organisations", "/admin/remove"])
def test_every_partial_needs_the_panel_session_header(admin, path):
    answer = admin.get(path)
    assert answer.status_code == 401


def test_a_forged_session_header_is_refused(admin):
    admin.open()
    admin.session_token = admin.session_token[:-4] + "AAAA"
    assert admin.post("/admin/save").status_code == 401


def test_framed_admin_pages_say_who_may_frame_them_and_leak_nothing(admin):
    page = admin.open()
    assert "frame-ancestors" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "X-Frame-Options" not in page.headers
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline: the CSP forbids it
