"""Canvas signed requests as Salesforce makes them: `<base64 HMAC-SHA256>.<base64 JSON envelope>`, the HMAC taken over
the encoded envelope with the connected app's consumer secret, both parts standard base64 with padding.

The dev kit's own signer, on the standard library alone, so that what the product verifies was not made by the
product's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def sign_envelope(envelope: dict[str, Any], secret: str) -> str:
    encoded = base64.b64encode(json.dumps(envelope, separators=(",", ":")).encode()).decode()
    signature = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return f"{base64.b64encode(signature).decode()}.{encoded}"
