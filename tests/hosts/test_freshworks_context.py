"""A context minted by the Freshworks app (issuer and account `freshworks:<domain>`, FRESHWORKS_CONTEXT_SECRET) opens
the panel as host `freshworks` through a hand-over; everything else about it is refused in plain words, and the
generic host is untouched. Contexts are signed here with PyJWT (independent of the product's joserfc)."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from plugin import create_app
from plugin.embed.session import verify_handover
from plugin.hosts import freshworks
from plugin.services import services

SECRET = "f" * 20 + secrets.token_urlsafe(24)
DOMAIN = "acme.myfreshworks.com"
GENERIC_SECRET = "g" * 40


def _app(tmp_path, clock, **config):
    return create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite",
                       "SECRET_KEY": "freshworks-tests-secret-key", "CONTEXT_SECRET": GENERIC_SECRET,
                       "FRESHWORKS_CONTEXT_SECRET": SECRET, "FRESHWORKS_FRAME_ORIGINS": "https://*.myfreshworks.com",
                       **config})


@pytest.fixture
def app(tmp_path, clock):
    return _app(tmp_path, clock)


@pytest.fixture
def client(app):
    return app.test_client()


def claims(app, *, role="member", domain=DOMAIN, lifetime=300, **overrides):
    now = int(services(app).clock.now().timestamp())
    body = {
        "iss": f"freshworks:{domain}", "aud": "xero-invoice-panel", "iat": now, "exp": now + lifetime,
        "jti": secrets.token_urlsafe(12), "account": f"freshworks:{domain}",
        "user": {"id": "9002", "email": "sam.rep@acme.example", "name": "Sam Rep", "role": role, "locale": "en",
                 "tz": "Pacific/Auckland"},
        "record": {"type": "contact", "id": "1001", "name": "Aroha Ngata", "email": "aroha@example.com",
                   "company": "Wellington Harbour Events Trust"},
    }
    body.update(overrides)
    return body


def sign(body, secret=SECRET):
    return jwt.encode(body, secret, algorithm="HS256")


def test_a_freshworks_context_hands_over_to_the_panel_as_host_freshworks(app, client):
    token = sign(claims(app))
    first = client.get("/panel", query_string={"context": token})
    assert first.status_code == 303
    target = urlsplit(first.headers["Location"])
    assert target.path == "/panel" and set(parse_qs(target.query)) == {"launch"}
    with app.test_request_context():
        context = verify_handover(parse_qs(target.query)["launch"][0])
    assert (context.host, context.account_id) == ("freshworks", f"freshworks:{DOMAIN}")
    assert (context.user.id, context.user.role, context.record.type, context.record.id) == (
        "9002", "member", "contact", "1001")
    assert context.record.company == "Wellington Harbour Events Trust"
    page = client.get("/panel", query_string={"launch": sign_launch(app, claims(app))})
    assert page.status_code == 200
    assert "https://*.myfreshworks.com" in page.headers["Content-Security-Policy"]


def sign_launch(app, body):
    """Run the hook once more and return the launch token it redirects to."""
    response = app.test_client().get("/panel", query_string={"context": sign(body)})
    return parse_qs(urlsplit(response.headers["Location"]).query)["launch"][0]


def test_the_admin_page_opens_for_a_freshworks_admin_and_never_for_a_member(app, client):
    admin = client.get("/admin", query_string={"context": sign(claims(app, role="admin"))})
    assert admin.status_code == 303 and urlsplit(admin.headers["Location"]).path == "/admin"
    assert client.get(admin.headers["Location"]).status_code == 200
    member = client.get("/admin", query_string={"context": sign(claims(app, role="member"))})
    assert member.status_code == 403
    assert "Only Freshsales admins can connect Xero" in member.get_data(as_text=True)


def test_a_context_is_used_once(app, client):
    token = sign(claims(app))
    assert client.get("/panel", query_string={"context": token}).status_code == 303
    again = client.get("/panel", query_string={"context": token})
    assert again.status_code == 401 and "already used" in again.get_data(as_text=True)


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"secret": "x" * 40}, 401, "signature does not match FRESHWORKS_CONTEXT_SECRET"),
    ({"secret": GENERIC_SECRET}, 401, "signature does not match"),
    ({"account": "freshworks:other.myfreshworks.com"}, 401, "account is not its installation"),
    ({"account": "acct-1"}, 401, "account is not its installation"),
    ({"aud": "someone-else"}, 401, "different app"),
    ({"domain": "Not A Domain"}, 401, "no valid Freshsales domain"),
    ({"domain": "other.myfreshworks.com"}, 403, "does not serve the Freshsales account other.myfreshworks.com"),
    ({"lifetime": 3600}, 401, "longer than the 10 minutes"),
    ({"past": 2000}, 401, "expired"),
    ({"future": 2000}, 401, "issued in the future"),
    ({"role": "owner"}, 401, "unknown role"),
    ({"record": {"type": "lead", "id": "1"}}, 401, "record type"),
])
def test_a_bad_context_is_refused_in_plain_words(tmp_path, clock, change, status, words):
    app = _app(tmp_path, clock, FRESHWORKS_DOMAINS=DOMAIN)
    secret = change.pop("secret", SECRET)
    shift = change.pop("past", 0) - change.pop("future", 0)
    domain = change.pop("domain", DOMAIN)
    body = claims(app, domain=domain, lifetime=change.pop("lifetime", 300), role=change.pop("role", "member"),
                  **change)
    body["iat"] -= shift
    body["exp"] -= shift
    if domain != DOMAIN:
        body["account"] = f"freshworks:{domain}"
    response = app.test_client().get("/panel", query_string={"context": sign(body, secret)})
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert "launch=" not in response.headers.get("Location", "")


def test_freshworks_is_off_until_its_secret_is_configured(tmp_path, clock):
    app = _app(tmp_path, clock, FRESHWORKS_CONTEXT_SECRET="")
    response = app.test_client().get("/panel", query_string={"context": sign(claims(app))})
    assert response.status_code == 404
    assert "Freshworks is not configured on this server" in response.get_data(as_text=True)
    assert "myfreshworks" not in response.headers["Content-Security-Policy"]


def test_a_short_secret_is_a_configuration_error_not_a_crash(tmp_path, clock):
    app = _app(tmp_path, clock, FRESHWORKS_CONTEXT_SECRET="too-short-secret-1")
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):
        token = sign(claims(app), "too-short-secret-1")
    response = app.test_client().get("/panel", query_string={"context": token})
    assert response.status_code == 503 and "shorter than 32" in response.get_data(as_text=True)


def test_rotation_accepts_either_secret(tmp_path, clock):
    new = "n" * 40
    app = _app(tmp_path, clock, FRESHWORKS_CONTEXT_SECRET=f"{new} {SECRET}")
    for secret in (new, SECRET):
        assert app.test_client().get("/panel", query_string={"context": sign(claims(app), secret)}).status_code == 303


def test_the_generic_host_is_untouched(app, client):
    now = int(services(app).clock.now().timestamp())
    generic = {"iss": "demo-crm", "aud": "xero-invoice-panel", "iat": now, "exp": now + 300, "jti": "g-1",
               "account": "acct-1", "user": {"id": "u1", "email": "a@b.c", "role": "member"},
               "record": {"type": "contact", "id": "42"}}
    assert client.get("/panel", query_string={"context": sign(generic, GENERIC_SECRET)}).status_code == 200
    # A generic context can't name a Freshworks account, and the Freshworks secret can't sign a generic one.
    forged = {**generic, "jti": "g-2", "account": f"freshworks:{DOMAIN}"}
    assert client.get("/panel", query_string={"context": sign(forged, GENERIC_SECRET)}).status_code == 401
    other = {**generic, "jti": "g-3"}
    assert client.get("/panel", query_string={"context": sign(other, SECRET)}).status_code == 401


def test_the_issuer_is_read_only_to_route_the_token():
    assert freshworks.claimed_issuer(sign({"iss": "freshworks:a.b"}, "k" * 32)) == "freshworks:a.b"
    for junk in ("", "a.b", "a.b.c", "x" * 9000, "e30.e30.x", "a.WzFd.b"):
        assert freshworks.claimed_issuer(junk) == ""
    assert not freshworks.is_freshworks_token(sign({"iss": "demo-crm"}, "k" * 32))
    assert freshworks.account_id(DOMAIN) == "freshworks:acme.myfreshworks.com"
    assert freshworks.allowed_domains({"FRESHWORKS_DOMAINS": "A.myfreshworks.com, b.myfreshworks.com"}) == (
        "a.myfreshworks.com", "b.myfreshworks.com")


def test_the_generic_issuer_may_not_look_like_a_freshworks_one(tmp_path, clock):
    with pytest.raises(ValueError, match="CONTEXT_ISSUER may not start with 'freshworks:'"):
        _app(tmp_path, clock, CONTEXT_ISSUER="freshworks:acme.myfreshworks.com")
