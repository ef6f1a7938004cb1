"""Where Xero lives. Real Xero spreads its API over several hosts; the emulator serves all paths on one.

Nothing else in the product knows which one it talks to: it is handed an `XeroEndpoints`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class XeroEndpoints:
    authorize_url: str
    token_url: str
    revocation_url: str
    connections_url: str
    api_url: str  # Accounting API root, without a trailing slash
    jwks_url: str
    issuer: str
    deep_link_base: str = "https://go.xero.com"

    @classmethod
    def real(cls) -> XeroEndpoints:
        return cls(
            authorize_url="https://login.xero.com/identity/connect/authorize",
            token_url="https://identity.xero.com/connect/token",
            revocation_url="https://identity.xero.com/connect/revocation",
            connections_url="https://api.xero.com/connections",
            api_url="https://api.xero.com/api.xro/2.0",
            jwks_url="https://identity.xero.com/.well-known/openid-configuration/jwks",
            issuer="https://identity.xero.com",
        )

    @classmethod
    def emulator(cls, base_url: str) -> XeroEndpoints:
        """The same paths on one origin (see devkit/emulator). Deep links still go to go.xero.com
        by default; the emulator also serves a stand-in for them under /go/ for the demo."""
        base = base_url.rstrip("/")
        return cls(
            authorize_url=f"{base}/identity/connect/authorize",
            token_url=f"{base}/connect/token",
            revocation_url=f"{base}/connect/revocation",
            connections_url=f"{base}/connections",
            api_url=f"{base}/api.xro/2.0",
            jwks_url=f"{base}/.well-known/openid-configuration/jwks",
            issuer=base,
            deep_link_base=f"{base}/go",
        )
