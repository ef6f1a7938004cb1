"""What the admin pages do, without Flask request handling: sign in with Xero, choose the organisation,
save, remove, and gather diagnostics. Every function takes the CRM account id first and touches only
that account's rows (the repositories filter on it).

Call inside an app context: the database, cache, clock and Xero configuration come from the current app.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from flask import current_app

from plugin.admin.oauth_state import PendingSignIn, SignInStoreUnavailable, claim_sign_in, remember_sign_in
from plugin.admin.tickets import ConnectTicket
from plugin.domain.models import Connection, TokenSet, XeroIdentity
from plugin.domain.text import N_
from plugin.runtime.budget import BudgetUsage
from plugin.runtime.lookups import CacheStats
from plugin.services import services
from plugin.storage import ConnectionInfo
from plugin.xero.errors import ConnectionRevoked, NotFound, OAuthError, XeroError, correlation_note, log_extra

log = logging.getLogger(__name__)


class IntegrationState(StrEnum):
    NOT_CONNECTED = "not_connected"
    PENDING = "pending"  # signed in, organisation chosen, not saved yet: reps see "not set up yet"
    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"


class AdminActionRefused(Exception):
    """An admin action that cannot be done now. `str(error)` is plain words for the page."""


class SignInRefused(AdminActionRefused):
    """The OAuth callback was not accepted (unknown or reused state, cancelled, code refused)."""


@dataclass(frozen=True, slots=True)
class IntegrationStatus:
    state: IntegrationState
    connection: ConnectionInfo | None = None

    @property
    def organisation_name(self) -> str:
        return self.connection.tenant_name if self.connection else ""


@dataclass(frozen=True, slots=True)
class SignInResult:
    account_id: str
    identity: XeroIdentity
    organisations: tuple[Connection, ...]
    status: IntegrationStatus


@dataclass(frozen=True, slots=True)
class RemoveResult:
    removed: bool
    confirmed_by_xero: bool  # False when Xero did not answer: the local tokens are gone anyway


@dataclass(frozen=True, slots=True)
class Diagnostics:
    status: IntegrationStatus
    budget: BudgetUsage | None  # this organisation's Xero API budget (None before an organisation is chosen)
    cache: CacheStats
    checked_at: datetime


# -- reading --------------------------------------------------------------------------------------------------------


def integration_status(account_id: str) -> IntegrationStatus:
    info = services().database.connections.get(account_id)
    if info is None:
        return IntegrationStatus(IntegrationState.NOT_CONNECTED)
    return IntegrationStatus(IntegrationState(info.status), info)


def diagnostics(account_id: str) -> Diagnostics:
    status = integration_status(account_id)
    tenant_id = status.connection.tenant_id if status.connection else ""
    budget = services().budget.usage(tenant_id) if tenant_id else None
    return Diagnostics(status, budget, services().lookups.stats(tenant_id), services().clock.now())


def organisations(account_id: str) -> list[Connection]:
    """Every organisation the stored consent can read (live from GET /connections), for the picker."""
    access_token = _access_token(account_id)
    try:
        return services().oauth().connections(access_token)
    except XeroError as error:
        _remember_error(account_id, error)
        raise AdminActionRefused(_plain(error)) from error


# -- signing in -----------------------------------------------------------------------------------------------------


_STORE_DOWN = N_("The sign-in can't be checked right now, so nothing was connected. Try again in a minute.")


def begin_sign_in(ticket: ConnectTicket, browser_hash: str = "") -> str:
    """Start Xero's sign-in for the ticket's account; returns the authorize URL to send the window to.
    `browser_hash` (the hash of the cookie set in the window that pressed Continue) is checked at the callback."""
    request = services().oauth().authorization_request()
    try:
        remember_sign_in(
            PendingSignIn(
                state=request.state,
                code_verifier=request.code_verifier,
                account_id=ticket.account_id,
                user_id=ticket.user_id,
                user_email=ticket.user_email,
                browser_hash=browser_hash,
            )
        )
    except SignInStoreUnavailable as error:
        log.error("could not remember a sign-in for account %s: %s", ticket.account_id, error)
        raise SignInRefused(_STORE_DOWN) from error
    return request.url


def finish_sign_in(*, state: str, code: str, error: str = "", browser_hash: str = "") -> SignInResult:
    """The OAuth callback: claim the state once, check it comes back to the browser that pressed Continue
    (`browser_hash`, of its sign-in cookie), exchange the code once, verify who signed in, store the
    tokens (encrypted, status pending) and choose the default organisation.

    Raises SignInRefused with plain words; nothing is stored then.
    """
    try:
        pending = claim_sign_in(state)
    except SignInStoreUnavailable as error:
        log.error("could not read a pending sign-in: %s", error)
        raise SignInRefused(_STORE_DOWN) from error
    if pending is None:
        raise SignInRefused(
            N_("This sign-in is unknown, has expired or was already finished. "
            "Go back to the Xero settings page in the CRM and press Connect again.")
        )
    if not pending.browser_hash or not hmac.compare_digest(pending.browser_hash, browser_hash):
        log.warning("Xero sign-in for account %s finished in another browser; refused", pending.account_id)
        raise SignInRefused(
            N_("This Xero sign-in was started in another browser, so nothing was connected. If you want to connect "
            "Xero, go to the Xero settings page in the CRM and press Connect in this browser.")
        )
    if error or not code:
        raise SignInRefused(N_("Xero sign-in was cancelled, so nothing was connected."))
    oauth = services().oauth()
    try:
        tokens = oauth.exchange_code(code, code_verifier=pending.code_verifier)
        identity = oauth.verify_id_token(tokens.id_token)
        consented = oauth.connections(tokens.access_token, oauth.auth_event_id_of(tokens.access_token) or None)
    except XeroError as failure:
        log.warning("Xero sign-in for account %s failed: %s%s", pending.account_id, failure, correlation_note(failure),
                    extra=log_extra(failure))
        raise SignInRefused(_sign_in_failure(failure)) from failure
    if not consented:
        raise SignInRefused(N_("Xero sign-in finished, but no organisation was allowed. Connect again and pick one."))
    status = _store_sign_in(pending.account_id, tokens, identity, consented)
    return SignInResult(pending.account_id, identity, tuple(consented), status)


def _store_sign_in(account_id: str, tokens: TokenSet, identity: XeroIdentity,
                   consented: Sequence[Connection]) -> IntegrationStatus:
    connections = services().database.connections
    previous = connections.get(account_id)
    connections.store_consent(
        account_id,
        tokens,
        connected_by_email=identity.email,
        connected_by_name=identity.full_name,
        xero_userid=identity.xero_userid,
        auth_event_id=consented[0].auth_event_id,
    )
    chosen = _default_organisation(consented, previous)
    _choose(account_id, chosen)
    # A reconnect of the organisation that was already live goes straight back to work; anything
    # else waits for an admin's Save inside the CRM.
    if previous is not None and previous.status != IntegrationState.PENDING and previous.tenant_id == chosen.tenant_id:
        connections.activate(account_id)
    return integration_status(account_id)


def _default_organisation(consented: Sequence[Connection], previous: ConnectionInfo | None) -> Connection:
    """Keep the organisation chosen before (a reconnect), else the first one of this consent."""
    if previous is not None:
        for organisation in consented:
            if organisation.tenant_id == previous.tenant_id:
                return organisation
    return consented[0]


# -- choosing, saving, removing -------------------------------------------------------------------------------------


def choose_organisation(account_id: str, tenant_id: str) -> IntegrationStatus:
    """Switch to another organisation the stored consent can read. The status stays as it was."""
    for organisation in organisations(account_id):
        if organisation.tenant_id == tenant_id:
            _choose(account_id, organisation)
            return integration_status(account_id)
    raise AdminActionRefused(N_("That organisation is not part of this Xero connection. Connect again to add it."))


def save(account_id: str, tenant_id: str = "") -> IntegrationStatus:
    """Save: switch to `tenant_id` first when the admin picked another organisation, then activate."""
    current = integration_status(account_id)
    if tenant_id and current.connection is not None and tenant_id != current.connection.tenant_id:
        choose_organisation(account_id, tenant_id)
    return activate(account_id)


def activate(account_id: str) -> IntegrationStatus:
    status = integration_status(account_id)
    if status.state is IntegrationState.NOT_CONNECTED:
        raise AdminActionRefused(N_("Connect to Xero first, then save."))
    if status.state is IntegrationState.NEEDS_RECONNECT:
        raise AdminActionRefused(N_("The Xero connection stopped working. Reconnect first, then save."))
    try:
        services().database.connections.activate(account_id)
    except ValueError as refused:
        raise AdminActionRefused(N_("Could not save: %(reason)s.", reason=str(refused))) from refused
    return integration_status(account_id)


def remove(account_id: str) -> RemoveResult:
    """Disconnect: DELETE /connections/{id} at Xero, revoke the refresh token, then forget the tokens here.

    The local tokens are wiped even when Xero does not answer (they must not be used again); the result
    says so, and the page tells the admin how to finish in Xero.
    """
    connections = services().database.connections
    info = connections.get(account_id)
    if info is None:
        return RemoveResult(removed=False, confirmed_by_xero=True)
    confirmed = _disconnect_at_xero(account_id, info)
    tokens = connections.tokens(account_id)  # read again: disconnecting may have refreshed them
    if tokens is not None:
        confirmed = _revoke(tokens.refresh_token) and confirmed
    connections.remove(account_id)
    services().lookups.reset(info.tenant_id)
    return RemoveResult(removed=True, confirmed_by_xero=confirmed)


def _disconnect_at_xero(account_id: str, info: ConnectionInfo) -> bool:
    """True when Xero confirmed, or the connection was already gone or unusable."""
    try:
        access_token = services().stored_tokens(account_id).access_token()
        connection_id = info.connection_id or _connection_id_of(access_token, info.tenant_id)
        if connection_id:
            services().oauth().disconnect(access_token, connection_id)
    except (NotFound, ConnectionRevoked):
        return True
    except XeroError as error:
        log.warning("Xero did not confirm the disconnect of account %s: %s%s", account_id, error,
                    correlation_note(error), extra=log_extra(error))
        return False
    return True


def _revoke(refresh_token: str) -> bool:
    try:
        services().oauth().revoke(refresh_token)
    except ConnectionRevoked:  # invalid_grant: the token was dead already
        return True
    except XeroError as error:
        log.warning("Xero did not confirm the token revocation: %s%s", error, correlation_note(error),
                    extra=log_extra(error))
        return False
    return True


def _connection_id_of(access_token: str, tenant_id: str) -> str:
    for organisation in services().oauth().connections(access_token):
        if organisation.tenant_id == tenant_id:
            return organisation.id
    return ""


# -- plumbing -------------------------------------------------------------------------------------------------------


def _choose(account_id: str, organisation: Connection) -> None:
    """Store the chosen organisation, with its ShortCode and base currency when Xero tells us."""
    connections = services().database.connections
    connections.choose_tenant(
        account_id, organisation.tenant_id, tenant_name=organisation.tenant_name, connection_id=organisation.id
    )
    try:
        client = services().xero_client(account_id, tenant_id=organisation.tenant_id, allow_pending=True)
        details = client.organisation()
    except XeroError as error:  # the panel can still work; deep links wait for the ShortCode
        _remember_error(account_id, error)
        return
    connections.update_organisation(
        account_id, tenant_name=details.name, short_code=details.short_code, base_currency=details.base_currency
    )


def _access_token(account_id: str) -> str:
    try:
        return services().stored_tokens(account_id).access_token()
    except XeroError as error:
        raise AdminActionRefused(_plain(error)) from error


def _remember_error(account_id: str, error: XeroError) -> None:
    services().database.connections.record_error(account_id, _plain(error))


def _plain(error: Exception) -> str:
    return getattr(error, "user_message", "") or N_("Xero answered with an error.")


def _sign_in_failure(failure: Exception) -> str:
    if isinstance(failure, ConnectionRevoked):  # InvalidGrant: the code was used already or expired
        return N_("Xero did not accept this sign-in (the code was already used or has expired). Press Connect again.")
    if isinstance(failure, OAuthError):
        return N_("Xero's sign-in could not be verified, so nothing was connected. Press Connect again.")
    return N_("%(problem)s Nothing was connected; press Connect again.", problem=_plain(failure))


def public_origin() -> str:
    """The origin the admin page and the sign-in window share (targetOrigin for postMessage)."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    return f"{parts.scheme}://{parts.netloc}"
