"""The one-time ticket that lets the sign-in window start a connection, and the OAuth state it leads to."""

from __future__ import annotations

import pytest

from plugin.admin.oauth_state import PendingSignIn, claim_sign_in, remember_sign_in
from plugin.admin.tickets import TICKET_TTL, TicketRefused, check_ticket, issue_ticket, redeem_ticket

SECRET = "app-secret-key-for-tests-0123456789"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _ticket(clock, **overrides) -> str:
    values = {"account_id": "acct-1", "user_id": "u1", "user_email": "a@crm.test", "secret": SECRET, "clock": clock}
    return issue_ticket(**{**values, **overrides})


def test_a_ticket_names_the_account_and_admin_it_was_issued_to(ctx, clock):
    ticket = redeem_ticket(_ticket(clock), secret=SECRET, clock=clock)
    assert (ticket.account_id, ticket.user_id, ticket.user_email) == ("acct-1", "u1", "a@crm.test")


def test_a_ticket_works_once(ctx, clock):
    token = _ticket(clock)
    redeem_ticket(token, secret=SECRET, clock=clock)
    with pytest.raises(TicketRefused, match="already used"):
        redeem_ticket(token, secret=SECRET, clock=clock)


def test_checking_a_ticket_does_not_use_it_up_but_a_used_one_fails_the_check(ctx, clock):
    token = _ticket(clock, user_name="Ada Admin")
    assert check_ticket(token, secret=SECRET, clock=clock).user_name == "Ada Admin"
    assert check_ticket(token, secret=SECRET, clock=clock).account_id == "acct-1"
    redeem_ticket(token, secret=SECRET, clock=clock)
    with pytest.raises(TicketRefused, match="already used"):
        check_ticket(token, secret=SECRET, clock=clock)


def test_a_ticket_expires(ctx, clock):
    token = _ticket(clock)
    clock.advance(TICKET_TTL + 1)
    with pytest.raises(TicketRefused, match="expired"):
        redeem_ticket(token, secret=SECRET, clock=clock)


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-3] + "xyz",
    lambda token: "",
    lambda token: "not-a-ticket",
])
def test_a_tampered_ticket_is_refused(ctx, clock, tamper):
    with pytest.raises(TicketRefused, match="not valid"):
        redeem_ticket(tamper(_ticket(clock)), secret=SECRET, clock=clock)


def test_a_ticket_signed_with_another_key_is_refused(ctx, clock):
    with pytest.raises(TicketRefused, match="not valid"):
        redeem_ticket(_ticket(clock, secret="another-key-another-key-0000000"), secret=SECRET, clock=clock)


def test_a_sign_in_state_can_be_claimed_only_once(ctx):
    pending = PendingSignIn("state-1", "verifier", "acct-1", "u1", "a@crm.test")
    remember_sign_in(pending)
    assert claim_sign_in("state-1") == pending
    assert claim_sign_in("state-1") is None
    assert claim_sign_in("state-unknown") is None
    assert claim_sign_in("") is None
