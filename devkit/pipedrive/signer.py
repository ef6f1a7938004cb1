"""HS256 JWTs as Pipedrive signs them for custom UI extensions (`userId`, `companyId`, `iat`, `exp`).

The dev kit's own signer, on the standard library alone, so that what the product verifies was not made by the
product's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

TOKEN_SECONDS = 300  # Pipedrive: a signed token "is valid for 5 minutes"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign_hs256(claims: dict[str, Any], secret: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def frame_token(*, user_id: int, company_id: int, secret: str, now: float, ttl: int = TOKEN_SECONDS) -> str:
    issued = int(now)
    return sign_hs256({"userId": user_id, "companyId": company_id, "iat": issued, "exp": issued + ttl}, secret)
