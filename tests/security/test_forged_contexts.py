"""The forged-context table of tests/embed (31 variants), end to end: as ?context= on the framed first loads
(/panel and /admin) and as an X-Panel-Session header on every follow-up route. All refused, nothing given."""

from __future__ import annotations

import pytest

from plugin import create_app
from tests.embed.test_context import AUDIENCE, FORGED, ISSUER, SECRET, good_claims, hs256
from tests.security.conftest import connect_account, gives_nothing_away
from tests.security.routes import session_routes

FIRST_LOADS = ["/panel", "/admin"]


@pytest.fixture
def web(tmp_path, clock, emulator):
    """The app sharing the embed table's secret, issuer and audience, with its account "acct-A" connected, so a
    forged context that got through would see real data."""
    app = create_app({
        "TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite",
        "XERO_EMULATOR_URL": emulator.url, "CONTEXT_SECRET": SECRET, "CONTEXT_ISSUER": ISSUER,
        "CONTEXT_AUDIENCE": AUDIENCE, "SECRET_KEY": "security-tests-secret-key",
    })
    connect_account(app, emulator, clock, "acct-A", emulator.state.tenants[0])
    return app.test_client()


@pytest.mark.parametrize("path", FIRST_LOADS)
def test_the_genuine_context_gets_in(web, path):
    """The control: the same app and a good context open the page and get a panel session."""
    response = web.get(path, query_string={"context": hs256(good_claims())})
    assert response.status_code == 200
    assert "X-Panel-Session" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", FIRST_LOADS)
@pytest.mark.parametrize("variant", list(FORGED))
def test_a_forged_context_is_refused_on_first_load(web, path, variant):
    make, _reason = FORGED[variant]
    response = web.get(path, query_string={"context": make()})
    assert response.status_code in (401, 403)
    gives_nothing_away(response)


@pytest.mark.parametrize("variant", list(FORGED))
def test_a_forged_token_is_refused_as_a_panel_session_on_every_follow_up(web, variant):
    make, _reason = FORGED[variant]
    token = make()
    for method, path, _ in session_routes(web.application):
        response = web.open(path, method=method, headers={"X-Panel-Session": token, "HX-Request": "true"})
        assert response.status_code == 401, (method, path)
        gives_nothing_away(response)


@pytest.mark.parametrize("path", FIRST_LOADS)
def test_a_context_works_once(web, path):
    context = hs256(good_claims(jti=f"single-use-{path}"))
    assert web.get(path, query_string={"context": context}).status_code == 200
    replayed = web.get(path, query_string={"context": context})
    assert replayed.status_code == 401
    gives_nothing_away(replayed)


def test_a_genuine_crm_context_cannot_stand_in_for_a_panel_session(web):
    context = hs256(good_claims())
    for method, path, _ in session_routes(web.application):
        response = web.open(path, method=method, headers={"X-Panel-Session": context, "HX-Request": "true"})
        assert response.status_code == 401, (method, path)
