"""The generic host (our own signed context): it can't name another host's account, and what it verified is
marked as generic all the way into the panel session."""

from __future__ import annotations

import pytest

from plugin.embed.context import ContextError, encode_context, verify_context
from plugin.embed.session import issue_panel_session, read_panel_session
from plugin.hosts.generic import is_generic_account

SECRET = "generic-host-tests-secret-0123456789"


class Always:
    def first_use(self, jti, expires_at) -> bool:
        return True


def context(clock, account: str, **extra) -> str:
    claims = {"iss": "demo-crm", "aud": "xero-invoice-panel", "account": account,
              "user": {"id": "u1", "email": "u@example.com", "role": "admin"},
              "record": {"type": "contact", "id": "1"}, **extra}
    return encode_context(claims, SECRET, clock=clock)


def verify(token: str, clock):
    return verify_context(token, secret=SECRET, issuer="demo-crm", audience="xero-invoice-panel", clock=clock,
                          replay_guard=Always())


def test_a_generic_context_is_marked_generic_and_keeps_its_bare_account_id(clock):
    verified = verify(context(clock, "acct-1"), clock)
    assert (verified.host, verified.account_id) == ("generic", "acct-1")
    assert is_generic_account(verified.account_id)


@pytest.mark.parametrize("account", ["pipedrive:1001", "hubspot:42", ":"])
def test_a_generic_context_cannot_name_another_hosts_account(clock, account):
    with pytest.raises(ContextError) as refused:
        verify(context(clock, account), clock)
    assert "may not contain ':'" in refused.value.message


def test_a_host_claim_in_a_crm_context_is_ignored(clock):
    verified = verify(context(clock, "acct-1", host="pipedrive"), clock)
    assert verified.host == "generic"


def test_the_panel_session_carries_the_host(app, clock):
    verified = verify(context(clock, "acct-1"), clock)
    with app.test_request_context():
        session = issue_panel_session(verified)
        assert read_panel_session(session).host == "generic"
