"""Every forged, stale or foreign context the CRM side could be sent is refused with a plain reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

from plugin.embed.context import ContextError, encode_context, verify_context

SECRET = "shared-secret-between-crm-and-panel-0123456789"
ISSUER, AUDIENCE = "demo-crm", "xero-invoice-panel"
NOW = 1_772_355_600  # 2026-03-01T09:00:00Z, the `clock` fixture


class MemoryReplayGuard:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first_use(self, jti: str, expires_at: datetime) -> bool:
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True


def good_claims(**changes) -> dict:
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "iat": NOW, "exp": NOW + 600, "jti": "jti-0001",
        "account": "acct-A",
        "user": {"id": "u1", "email": "rep@example.com", "name": "Rep", "role": "admin", "locale": "en-NZ",
                 "tz": "Pacific/Auckland"},
        "record": {"type": "deal", "id": "42", "name": "Big deal", "email": "", "company": "Acme Ltd",
                   "account": {"id": "7", "name": "Acme Ltd"},
                   "contact": {"id": "9", "name": "Jane", "email": "j@x.test"}},
    }
    for key, value in changes.items():
        if value is _DROP:
            claims.pop(key)
        else:
            claims[key] = value
    return claims


_DROP = object()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_raw(header: dict, claims: dict, key: bytes) -> str:
    """Build a JWS by hand, so the tests do not depend on the library refusing to make bad tokens."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def hs256(claims: dict, key: str = SECRET) -> str:
    return sign_raw({"alg": "HS256", "typ": "JWT"}, claims, key.encode())


def unsigned(claims: dict) -> str:
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}."


_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rs256(claims: dict) -> str:
    signing_input = f"{b64(json.dumps({'alg': 'RS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    signature = _RSA.sign(signing_input.encode(), padding.PKCS1v15(), SHA256())
    return f"{signing_input}.{b64(signature)}"


def hs256_with_public_key(claims: dict) -> str:
    """The RS/HS confusion: HMAC keyed with an RSA public key, hoping the verifier treats it as a secret."""
    public_pem = _RSA.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return sign_raw({"alg": "HS256", "typ": "JWT"}, claims, public_pem)


MEMBER = {"id": "u2", "email": "member@example.com", "role": "member"}


def tampered(field_path: tuple[str, ...], value: str, **base) -> str:
    """A valid token whose payload was edited after signing."""
    header, _payload, signature = hs256(good_claims(**base)).split(".")
    claims = json.loads(json.dumps(good_claims(**base)))  # a deep copy: never edit MEMBER or other shared dicts
    target = claims
    for name in field_path[:-1]:
        target = target[name]
    target[field_path[-1]] = value
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def verify(token: str, clock, guard=None):
    return verify_context(token, secret=SECRET, issuer=ISSUER, audience=AUDIENCE, clock=clock,
                          replay_guard=guard or MemoryReplayGuard())


FORGED = {
    "alg none": (lambda: unsplit_none(), "HS256"),
    "alg none, no signature part": (lambda: unsigned(good_claims())[:-1], "could not be read"),
    "HS256 with a wrong key": (lambda: hs256(good_claims(), "another-secret-of-enough-length!!"), "signature"),
    "RS256 signed": (lambda: rs256(good_claims()), "HS256"),
    "RS/HS confusion (public key as HMAC secret)": (lambda: hs256_with_public_key(good_claims()), "signature"),
    "HS512": (lambda: sign_raw({"alg": "HS512"}, good_claims(), SECRET.encode()), "HS256"),
    "expired": (lambda: hs256(good_claims(iat=NOW - 700, exp=NOW - 100)), "expired"),
    "expired beyond leeway by one second": (lambda: hs256(good_claims(iat=NOW - 500, exp=NOW - 31)), "expired"),
    "issued in the future": (lambda: hs256(good_claims(iat=NOW + 120, exp=NOW + 600)), "future"),
    "lifetime over 10 minutes": (lambda: hs256(good_claims(iat=NOW, exp=NOW + 601)), "10 minutes"),
    "exp before iat": (lambda: hs256(good_claims(iat=NOW, exp=NOW - 1)), "10 minutes"),
    "wrong audience": (lambda: hs256(good_claims(aud="someone-else")), "different app"),
    "wrong issuer": (lambda: hs256(good_claims(iss="evil-crm")), "different CRM"),
    "missing exp": (lambda: hs256(good_claims(exp=_DROP)), "'exp'"),
    "missing iat": (lambda: hs256(good_claims(iat=_DROP)), "'iat'"),
    "missing jti": (lambda: hs256(good_claims(jti=_DROP)), "'jti'"),
    "missing aud": (lambda: hs256(good_claims(aud=_DROP)), "'aud'"),
    "missing account": (lambda: hs256(good_claims(account=_DROP)), "'account'"),
    "missing user": (lambda: hs256(good_claims(user=_DROP)), "'user'"),
    "missing record": (lambda: hs256(good_claims(record=_DROP)), "'record'"),
    "missing user email": (lambda: hs256(good_claims(user={"id": "u1", "role": "admin"})), "'user.email'"),
    "missing record id": (lambda: hs256(good_claims(record={"type": "contact"})), "'record.id'"),
    "unknown role": (lambda: hs256(good_claims(user={"id": "u", "email": "e@x.test", "role": "root"})), "role"),
    "unknown record type": (lambda: hs256(good_claims(record={"type": "invoice", "id": "1"})), "record type"),
    "exp as a string": (lambda: hs256(good_claims(exp=str(NOW + 600))), "not a time"),
    "tampered account id": (lambda: tampered(("account",), "acct-B"), "signature"),
    "tampered record id": (lambda: tampered(("record", "id"), "43"), "signature"),
    "tampered role (member to admin)": (lambda: tampered(("user", "role"), "admin", user=MEMBER), "signature"),
    "not a JWT": (lambda: "not-a-jwt", "could not be read"),
    "empty": (lambda: "", "without a valid CRM context"),
    "payload is a list": (lambda: sign_raw({"alg": "HS256"}, [1, 2], SECRET.encode()), "could not be read"),
}


def unsplit_none() -> str:
    return unsigned(good_claims())


@pytest.mark.parametrize("name", list(FORGED))
def test_forged_context_is_refused_with_a_reason(name, clock):
    make, reason = FORGED[name]
    with pytest.raises(ContextError) as refused:
        verify(make(), clock)
    assert refused.value.status == 401
    assert reason in refused.value.message


def test_a_good_context_gives_the_account_user_and_record(clock):
    context = verify(hs256(good_claims()), clock)
    assert context.account_id == "acct-A"
    assert (context.user.email, context.user.is_admin, context.user.timezone) == ("rep@example.com", True,
                                                                                  "Pacific/Auckland")
    assert (context.record.type, context.record.id, context.record.company) == ("deal", "42", "Acme Ltd")
    assert context.record.account.id == "7" and context.record.contact.email == "j@x.test"
    assert context.expires_at.timestamp() == NOW + 600


def test_small_clock_skew_is_tolerated(clock):
    assert verify(hs256(good_claims(iat=NOW + 20, exp=NOW + 600)), clock).account_id == "acct-A"
    assert verify(hs256(good_claims(iat=NOW - 620, exp=NOW - 20, jti="other")), clock).account_id == "acct-A"


def test_a_replayed_context_is_refused(clock):
    guard = MemoryReplayGuard()
    token = hs256(good_claims())
    verify(token, clock, guard)
    with pytest.raises(ContextError, match="already used"):
        verify(token, clock, guard)


def test_encode_context_round_trips_and_fills_time_and_id(clock):
    token = encode_context({"iss": ISSUER, "aud": AUDIENCE, "account": "acct-A", "user": good_claims()["user"],
                            "record": {"type": "contact", "id": 5}}, SECRET, clock=clock)
    context = verify(token, clock)
    assert context.record.id == "5" and context.jti
    assert context.expires_at.timestamp() == NOW + 600


def test_a_short_secret_is_a_configuration_error(clock):
    with pytest.raises(ValueError, match="at least 16"):
        encode_context(good_claims(), "short", clock=clock)
