"""Server-side memory of sign-ins in progress, keyed by the OAuth `state`.

The PKCE verifier never leaves the server, and the state says which CRM account (and which admin)
the sign-in belongs to, and the hash of the browser cookie set at Continue (see views.connect_continue). The
callback takes the entry once: a replayed or forged callback finds nothing. Kept in the single-use markers
store (Redis keys with their own TTL, or database rows), so any worker can finish the sign-in and a full cache
can't drop it; a store that can't answer refuses (`SignInStoreUnavailable`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from plugin.runtime.markers import MarkersUnavailable
from plugin.services import services

SIGN_IN_TTL = 15 * 60  # time an admin has to finish Xero's sign-in and consent
_PREFIX = "admin:oauth-state:"


class SignInStoreUnavailable(Exception):
    """The pending sign-in could not be stored or read; nothing was connected."""


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    state: str
    code_verifier: str
    account_id: str
    user_id: str
    user_email: str
    browser_hash: str = ""  # sha256 of the sign-in cookie of the browser that pressed Continue


def remember_sign_in(pending: PendingSignIn) -> None:
    try:
        stored = services().markers.claim(_PREFIX + pending.state, ttl=SIGN_IN_TTL, value=json.dumps(asdict(pending)))
    except MarkersUnavailable as error:
        raise SignInStoreUnavailable(str(error)) from error
    if not stored:  # a random 128-bit state never repeats; refuse rather than overwrite
        raise SignInStoreUnavailable("state already in use")


def claim_sign_in(state: str) -> PendingSignIn | None:
    """The sign-in that sent this state, removed so it can be claimed only once; None if unknown."""
    if not state or len(state) > 150:
        return None
    try:
        stored = services().markers.take(_PREFIX + state)
    except MarkersUnavailable as error:
        raise SignInStoreUnavailable(str(error)) from error
    if stored is None:
        return None
    return PendingSignIn(**json.loads(stored))
