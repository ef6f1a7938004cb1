"""A session in use is checked in full on every request (itsdangerous, ~27 µs; no per-worker memo): it keeps
working, its tampered twin is refused, and it still expires."""

from __future__ import annotations

from plugin.embed.session import SESSION_HEADER
from tests.embed.test_session import embed_app, open_session, swapped_payload, web  # noqa: F401 (fixtures)


def test_a_session_in_use_works_on_every_request(web, clock):  # noqa: F811
    token = open_session(web, clock)
    for _ in range(3):
        answer = web.get("/panel/probe/data", headers={SESSION_HEADER: token})
        assert answer.status_code == 200 and answer.json["account"] == "acct-A"


def test_a_session_in_use_still_expires_and_its_tampered_twin_is_refused(web, clock):  # noqa: F811
    token = open_session(web, clock)
    assert web.get("/panel/probe/data", headers={SESSION_HEADER: token}).status_code == 200
    other = open_session(web, clock, account="acct-B")
    assert web.get("/panel/probe/data", headers={SESSION_HEADER: swapped_payload(token, other)}).status_code == 401
    clock.advance(minutes=16)
    answer = web.get("/panel/probe/data", headers={SESSION_HEADER: token})
    assert answer.status_code == 401 and "expired" in answer.text
