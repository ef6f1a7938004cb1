"""RS256 JSON Web Tokens, the way Xero signs access tokens and id_tokens, with its published JWKS.

Written on `cryptography` directly (a few lines) so the emulator needs no JOSE library of its own.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class BadToken(Exception):
    """The token is not one this emulator signed (malformed or bad signature)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    """One key per process: generating RSA keys is slow, and every emulator may share it."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_id() -> str:
    numbers = signing_key().public_key().public_numbers()
    return hashlib.sha256(str(numbers.n).encode()).hexdigest()[:32].upper()


def jwks() -> dict[str, Any]:
    numbers = signing_key().public_key().public_numbers()
    return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": key_id(),
                      "e": _int_b64(numbers.e), "n": _int_b64(numbers.n)}]}


def encode(claims: dict[str, Any]) -> str:
    header = {"alg": "RS256", "kid": key_id(), "typ": "JWT"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = signing_key().sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def decode(token: str) -> dict[str, Any]:
    """Verify the signature and return the claims; expiry is the caller's business (it owns the clock)."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        signature = _unb64(signature_b64)
        signing_key().public_key().verify(
            signature, f"{header_b64}.{payload_b64}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        claims = json.loads(_unb64(payload_b64))
    except (ValueError, InvalidSignature, UnicodeError) as exc:
        raise BadToken(str(exc) or type(exc).__name__) from exc
    if not isinstance(claims, dict):
        raise BadToken("claims are not an object")
    return claims


def at_hash(access_token: str) -> str:
    """OpenID Connect at_hash: left half of SHA-256 of the access token."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return _b64(digest[: len(digest) // 2])
