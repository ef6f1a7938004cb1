"""Property-based fuzzing (Hypothesis) of what strangers can send: the CRM context decoder, the panel session,
the webhook parser and the date filter. Whatever comes in, the answer is a value or a clear refusal
(ContextError, BadPayload, a DateFilter with a message), never any other exception.

A short run in CI (FUZZ_EXAMPLES, default 40 examples a target); longer on demand, e.g.
`FUZZ_EXAMPLES=5000 pytest tests/fuzz`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import create_app
from plugin.domain.clock import FixedClock
from plugin.domain.invoices import DateFilter, parse_date_filter
from plugin.embed.context import ContextError, EmbedContext, verify_context
from plugin.embed.session import _serializer, read_panel_session
from plugin.xero.webhooks import BadPayload, parse_events
from tests.conftest import TODAY

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])
SECRET = "fuzzing-context-secret-0123456789"
NOW = int(FixedClock.at(TODAY).now().timestamp())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
times = st.one_of(st.integers(min_value=-(10 ** 20), max_value=10 ** 20), st.integers(NOW - 700, NOW + 700),
                  st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.none(), st.booleans())
claims = st.fixed_dictionaries(
    {"iss": st.sampled_from(["demo-crm", "other"]), "aud": st.sampled_from(["xero-invoice-panel", ["x"], 1]),
     "jti": st.text(max_size=30) | st.integers(), "account": st.text(max_size=20) | st.integers(),
     "iat": times, "exp": times,
     "user": json_values | st.fixed_dictionaries({"id": st.text(max_size=5), "email": st.text(max_size=10),
                                                  "role": st.sampled_from(["admin", "member", "root", ""])}),
     "record": json_values | st.fixed_dictionaries({"type": st.sampled_from(["contact", "deal", "x"]),
                                                    "id": st.text(max_size=5) | st.integers()})},
    optional={"extra": json_values},
)


class Always:
    def first_use(self, jti, expires_at) -> bool:
        return True


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(payload: bytes, header: bytes = b'{"alg":"HS256","typ":"JWT"}') -> str:
    signing_input = f"{b64(header)}.{b64(payload)}"
    return f"{signing_input}.{b64(hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest())}"


def decode(token: str) -> None:
    try:
        result = verify_context(token, secret=SECRET, issuer="demo-crm", audience="xero-invoice-panel",
                                clock=FixedClock.at(TODAY), replay_guard=Always())
    except ContextError as refused:
        assert refused.status == 401 and refused.message
    else:
        assert isinstance(result, EmbedContext)


@FUZZ
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")))
def test_context_decoder_on_any_text(token):
    decode(token)


@FUZZ
@given(claims)
def test_context_decoder_on_signed_claims_of_any_shape(values):
    decode(signed(json.dumps(values).encode()))


@FUZZ
@given(st.binary(max_size=400) | json_values.map(lambda value: json.dumps(value).encode()),
       st.integers(min_value=0, max_value=3000))
def test_context_decoder_on_signed_bytes_and_deep_nesting(payload, depth):
    decode(signed(payload))
    decode(signed(b"[" * depth + b"]" * depth))


@pytest.fixture(scope="module")
def session_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    return create_app({"TESTING": True, "CLOCK": FixedClock.at(TODAY), "SECRET_KEY": "fuzz-secret-key-0123456789",
                       "DATABASE_URL": f"sqlite:///{folder}/p.sqlite"})


def read_session(app, token: str) -> None:
    with app.test_request_context():
        try:
            result = read_panel_session(token)
        except ContextError as refused:
            assert refused.status == 401 and refused.message
        else:
            assert isinstance(result, EmbedContext)


@FUZZ
@given(st.text(max_size=400))
def test_panel_session_on_any_text(session_app, token):
    read_session(session_app, token)


@FUZZ
@given(claims | json_values)
def test_panel_session_signed_with_our_key_but_any_payload(session_app, payload):
    with session_app.test_request_context():
        try:
            token = _serializer().dumps(payload)
        except ValueError:  # NaN and Infinity can't be put in a session: nothing to read
            return
    read_session(session_app, token)


@FUZZ
@given(st.binary(max_size=500) | json_values.map(lambda value: json.dumps(value).encode())
       | st.integers(min_value=0, max_value=50_000).map(lambda depth: b"[" * depth + b"]" * depth))
def test_webhook_parser(body):
    try:
        events = parse_events(body)
    except BadPayload as refused:
        assert str(refused)
    else:
        assert isinstance(events, list)


@FUZZ
@given(st.none() | st.text(max_size=40), st.none() | st.text(max_size=40))
def test_date_filter(start, end):
    result = parse_date_filter(start, end)
    assert isinstance(result, DateFilter)
