"""The embedding context the demo CRM signs for the panel: a JWT (RFC 7519) signed with HS256 (RFC 7515).

Written out by hand, as it is a few lines: base64url(header) "." base64url(claims), signed with
HMAC-SHA256 under the shared context secret, the signature base64url-encoded after a second ".".
Padding is stripped, as JWS requires. The CRM adds iat, exp (10 minutes, the panel's cap) and a
random jti (the panel accepts each context once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from devkit.clock import Clock

ALGORITHM = "HS256"
LIFETIME_SECONDS = 600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_hs256(claims: Mapping[str, Any], secret: str) -> str:
    """A compact JWS of `claims` with header {"alg": "HS256", "typ": "JWT"}."""
    signing_input = f"{_b64url(_json({'alg': ALGORITHM, 'typ': 'JWT'}))}.{_b64url(_json(claims))}"
    signature = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def encode_context(claims: Mapping[str, Any], secret: str, *, clock: Clock, ttl: int = LIFETIME_SECONDS) -> str:
    """Sign `claims` (iss, aud, account, user, record) as a context; iat, exp and jti are added unless given."""
    now = int(clock.now().timestamp())
    return sign_hs256({"iat": now, "exp": now + ttl, "jti": secrets.token_urlsafe(16), **claims}, secret)
