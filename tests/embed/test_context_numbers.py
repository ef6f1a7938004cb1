"""A context signed with the real secret but carrying non-finite, fractional or out-of-range times, or JSON
nested too deeply to read, is refused with a plain reason (never a 500), and `iat: NaN` can't skip the cap."""

from __future__ import annotations

import pytest

from plugin.embed.context import ContextError
from tests.embed.test_context import NOW, b64, good_claims, hs256, verify


def signed_payload(payload: bytes) -> str:
    import hashlib
    import hmac
    import json

    from tests.embed.test_context import SECRET

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(payload)}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.mark.parametrize("changes", [
    {"iat": float("nan")},
    {"exp": float("nan")},
    {"iat": float("nan"), "exp": NOW + 86_400 * 365},  # NaN iat used to skip the 10-minute cap
    {"exp": float("inf")},
    {"iat": float("-inf")},
    {"exp": 10 ** 30},
    {"iat": -(10 ** 30)},
    {"exp": NOW + 300.5},
    {"iat": True},
    {"exp": str(NOW + 600)},
])
def test_times_that_are_not_finite_in_range_integers_are_refused(clock, changes):
    with pytest.raises(ContextError) as refused:
        verify(hs256(good_claims(**changes)), clock)
    assert refused.value.status == 401 and "time" in refused.value.message


@pytest.mark.parametrize("payload", [
    b"[" * 5000 + b"]" * 5000,
    b'{"iss": "demo-crm", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"iat": 1e999}',
    b"\xff\xfe not json",
])
def test_a_payload_that_cannot_be_read_is_a_clear_refusal(clock, payload):
    with pytest.raises(ContextError) as refused:
        verify(signed_payload(payload), clock)
    assert refused.value.status == 401
