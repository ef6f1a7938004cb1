"""Every framed route (read from the url_map) answers with a CSP naming who may frame it, no-referrer and
no-store, whatever the outcome: the page, a refusal, an error."""

from __future__ import annotations

from tests.security.conftest import contact_record
from tests.security.routes import SIGN_IN_WINDOW, concrete_path, framed_rules, methods_of

CRM_ORIGIN = "http://127.0.0.1:5003"  # the configured default (CRM_ORIGINS)


def responses_of_every_framed_route(panel, session: str):
    for rule in framed_rules(panel.app):
        for method in methods_of(rule):
            for headers in ({}, {"X-Panel-Session": session, "HX-Request": "true"}):
                yield rule, method, panel.client.open(concrete_path(rule), method=method, headers=headers)


def test_every_framed_route_says_who_may_frame_it(panel, customer):
    panel.open(contact_record(customer))
    checked = 0
    for rule, method, response in responses_of_every_framed_route(panel, panel.session):
        where = (method, rule.rule, response.status_code)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors" in policy, where
        assert "script-src 'self'" in policy, where
        assert response.headers["Referrer-Policy"] == "no-referrer", where
        assert "no-store" in response.headers["Cache-Control"], where
        if rule.endpoint in SIGN_IN_WINDOW:
            assert policy.endswith("frame-ancestors 'none'"), where
        else:
            assert f"frame-ancestors {CRM_ORIGIN}" in policy, where
            assert "X-Frame-Options" not in response.headers, where
        checked += 1
    assert checked >= 2 * len(framed_rules(panel.app))
