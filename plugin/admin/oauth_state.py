"""Server-side memory of sign-ins in progress, keyed by the OAuth `state`.

The PKCE verifier never leaves the server, and the state says which CRM account (and which admin)
the sign-in belongs to. The callback claims the entry once: a replayed or forged callback finds
nothing. Kept in the shared cache (Redis when configured), so any worker can finish the sign-in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from plugin.services import services

SIGN_IN_TTL = 15 * 60  # time an admin has to finish Xero's sign-in and consent
_PREFIX = "admin:oauth-state:"


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    state: str
    code_verifier: str
    account_id: str
    user_id: str
    user_email: str


def remember_sign_in(pending: PendingSignIn) -> None:
    services().cache.set(_PREFIX + pending.state, asdict(pending), timeout=SIGN_IN_TTL)


def claim_sign_in(state: str) -> PendingSignIn | None:
    """The sign-in that sent this state, removed so it can be claimed only once; None if unknown."""
    if not state:
        return None
    key = _PREFIX + state
    stored = services().cache.get(key)
    # delete() reports whether it removed something; only one concurrent caller wins it.
    if not stored or not services().cache.delete(key):
        return None
    return PendingSignIn(**stored)
