"""A panel session's signature is checked once per worker; its claims are still checked on every request."""

from __future__ import annotations

from plugin.embed import session as panel_session
from plugin.embed.session import SESSION_HEADER
from tests.embed.test_session import embed_app, open_session, web  # noqa: F401 (fixtures)


def test_the_signature_of_a_session_in_use_is_checked_once(web, clock, monkeypatch):  # noqa: F811
    token = open_session(web, clock)
    checked = []
    real = panel_session.decode_hs256
    monkeypatch.setattr(panel_session, "decode_hs256", lambda *args: checked.append(1) or real(*args))
    for _ in range(3):
        assert web.get("/panel/probe/data", headers={SESSION_HEADER: token}).status_code == 200
    assert len(checked) == 1


def test_a_remembered_session_still_expires_and_its_tampered_twin_is_refused(web, clock):  # noqa: F811
    token = open_session(web, clock)
    assert web.get("/panel/probe/data", headers={SESSION_HEADER: token}).status_code == 200
    header, _payload, signature = token.split(".")
    other = open_session(web, clock, account="acct-B").split(".")[1]
    assert web.get("/panel/probe/data", headers={SESSION_HEADER: f"{header}.{other}.{signature}"}).status_code == 401
    clock.advance(minutes=16)
    answer = web.get("/panel/probe/data", headers={SESSION_HEADER: token})
    assert answer.status_code == 401 and "expired" in answer.text
