"""One-time tickets that let the sign-in window start the Xero connection for one admin.

Why a ticket: Xero's sign-in cannot be framed, so "Connect to Xero" opens a new window. That window
is a top-level navigation: it carries no X-Panel-Session header, and cookies set inside the iframe are
third-party (blocked or partitioned), so neither can identify the admin there. The iframe therefore
asks for a ticket with its session header (a POST, so CSRF-proof), and the window opens
`/admin/connect/start?ticket=...`.

Why that page does not go straight to Xero: the link is on our real domain, so an admin of one CRM
account could send it to the owner of another Xero organisation, who would land on Xero's consent and
hand their books to the sender's account. Opening the link only *checks* the ticket (`check_ticket`)
and names the CRM account and admin it connects; pressing Continue (a POST) redeems it.

What keeps the ticket safe in a URL:
- signed with the app's SECRET_KEY under its own salt (it cannot be forged or reused as anything else);
- bound to the CRM account and the admin user who asked for it;
- short-lived (TICKET_TTL seconds, measured on the injected clock);
- redeemable once (a nonce claimed atomically in the single-use markers store, which never evicts it early;
  a store that can't answer refuses the ticket);
- it only *starts* a sign-in. What the sign-in produces is stored as "pending" and goes live only when
  an admin presses Save inside the iframe, so a leaked ticket cannot silently switch the organisation.
The start page answers with Referrer-Policy: no-referrer, so the ticket does not leak onward.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from plugin.domain.clock import Clock
from plugin.domain.text import N_
from plugin.runtime.markers import MarkersUnavailable
from plugin.services import services

TICKET_TTL = 120
_SALT = "xero-panel/admin-connect-ticket"
_USED_PREFIX = "admin:ticket-used:"
_START_AGAIN = N_("Go back to the Xero settings page in the CRM and press Connect again.")
_CANT_CHECK = N_("This sign-in link can't be checked right now. Try again in a minute.")


class TicketRefused(Exception):
    """The ticket is forged, expired or already used. `str(error)` is plain words for the page."""


@dataclass(frozen=True, slots=True)
class ConnectTicket:
    account_id: str
    user_id: str
    user_email: str
    nonce: str
    expires_at: float  # seconds since the epoch
    user_name: str = ""


def issue_ticket(*, account_id: str, user_id: str, user_email: str, secret: str, clock: Clock,
                 ttl: int = TICKET_TTL, user_name: str = "") -> str:
    payload = {
        "account": account_id,
        "user": user_id,
        "email": user_email,
        "name": user_name,
        "nonce": secrets.token_urlsafe(16),
        "exp": clock.now().timestamp() + ttl,
    }
    return URLSafeSerializer(secret, salt=_SALT).dumps(payload)


def check_ticket(token: str, *, secret: str, clock: Clock) -> ConnectTicket:
    """Everything `redeem_ticket` checks, without using the ticket up (for the page that asks to continue)."""
    ticket = _unexpired(token, secret, clock)
    try:
        used = services().markers.is_claimed(_USED_PREFIX + ticket.nonce)
    except MarkersUnavailable:
        raise TicketRefused(_CANT_CHECK) from None
    if used:
        raise _already_used()
    return ticket


def redeem_ticket(token: str, *, secret: str, clock: Clock) -> ConnectTicket:
    """Check signature and expiry, then claim the nonce; a second redemption is refused."""
    ticket = _unexpired(token, secret, clock)
    remaining = ticket.expires_at - clock.now().timestamp()
    # claim() only succeeds for the first caller (SET NX on Redis, the primary key in the database).
    try:
        first = services().markers.claim(_USED_PREFIX + ticket.nonce, ttl=int(remaining) + 1)
    except MarkersUnavailable:
        raise TicketRefused(_CANT_CHECK) from None
    if not first:
        raise _already_used()
    return ticket


def _unexpired(token: str, secret: str, clock: Clock) -> ConnectTicket:
    ticket = _read(token, secret)
    if ticket.expires_at - clock.now().timestamp() <= 0:
        raise TicketRefused(N_("This sign-in link has expired. "
                            "Go back to the Xero settings page in the CRM and press Connect again."))
    return ticket


def _already_used() -> TicketRefused:
    return TicketRefused(N_("This sign-in link was already used. "
                            "Go back to the Xero settings page in the CRM and press Connect again."))


def _read(token: str, secret: str) -> ConnectTicket:
    try:
        payload = URLSafeSerializer(secret, salt=_SALT).loads(token or "")
        return ConnectTicket(
            account_id=str(payload["account"]),
            user_id=str(payload["user"]),
            user_email=str(payload.get("email", "")),
            user_name=str(payload.get("name", "")),
            nonce=str(payload["nonce"]),
            expires_at=float(payload["exp"]),
        )
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise TicketRefused(N_("This sign-in link is not valid. "
                            "Go back to the Xero settings page in the CRM and press Connect again.")) from error
