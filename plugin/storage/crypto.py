"""Encryption of tokens at rest with Fernet (AES-128-CBC + HMAC-SHA256, with a timestamp).

Key from `TOKEN_KEY`: one Fernet key, or several separated by spaces or commas to rotate keys (the
first encrypts, all decrypt; `xero-panel db upgrade` does not re-encrypt, the next token refresh does).
Without `TOKEN_KEY`, a random key is kept in the instance folder, readable only by its owner.
"""

from __future__ import annotations

import base64
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask

from plugin.settings import instance_secret


class TokenDecryptError(Exception):
    """A stored token could not be decrypted: the key changed or the value was tampered with."""


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def __repr__(self) -> str:
        return "TokenCipher(<keys hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode() if plaintext else ""

    def decrypt(self, ciphertext: str) -> str:
        if not ciphertext:
            return ""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as error:
            raise TokenDecryptError("stored token cannot be decrypted with the configured TOKEN_KEY") from error


def cipher_for(app: Flask) -> TokenCipher:
    configured = app.config.get("TOKEN_KEY") or ""
    keys = [key for key in re.split(r"[\s,]+", configured) if key]
    if not keys:
        keys = [_fernet_key_from_secret(instance_secret(app, "token_key"))]
    return TokenCipher(keys)


def _fernet_key_from_secret(secret: str) -> str:
    """The instance secret is 32 random bytes in unpadded URL-safe base64; Fernet wants them padded."""
    raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    if len(raw) != 32:
        raise ValueError("the token_key file in the instance folder is not 32 bytes of URL-safe base64")
    return base64.urlsafe_b64encode(raw).decode()
