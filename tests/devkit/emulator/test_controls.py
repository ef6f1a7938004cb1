"""The emulator's Python control API, as other helpers' tests use it through the `emulator` fixture."""

from __future__ import annotations

from devkit.emulator import DEMO_EMAIL, jwt


def test_issue_token_set_connects_the_demo_users_organisations(emulator):
    tokens = emulator.state.issue_token_set(DEMO_EMAIL)

    claims = jwt.decode(tokens["access_token"])
    assert tokens["expires_in"] == 1800
    assert tokens["refresh_token"] and tokens["id_token"]
    assert claims["iss"] == emulator.url
    assert len(emulator.state.tenants) >= 2


def test_api_calls_start_at_zero_for_each_test(emulator):
    assert emulator.state.api_calls() == 0
