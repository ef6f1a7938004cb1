"""Xero's rate limits and the injected failures, over real HTTP; windows move with the emulator's clock."""

from __future__ import annotations

import threading

import pytest
import requests

from devkit.emulator.limits import DAY_LIMIT, MINUTE_LIMIT


def test_every_answer_carries_the_remaining_limits(api):
    first = api.get("Organisation")
    second = api.get("Organisation")

    # Counting down with each call (other tests sharing the session's emulator may add calls of their own).
    assert int(first.headers["X-MinLimit-Remaining"]) > int(second.headers["X-MinLimit-Remaining"])
    assert int(first.headers["X-DayLimit-Remaining"]) > int(second.headers["X-DayLimit-Remaining"])
    assert int(second.headers["X-DayLimit-Remaining"]) <= DAY_LIMIT - 2
    assert "X-AppMinLimit-Remaining" in second.headers


def test_the_61st_call_in_a_minute_is_429_until_the_window_rolls(emulator, api):
    for _ in range(MINUTE_LIMIT):
        assert api.get("Organisation").status_code == 200
    refused = api.get("Organisation")

    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    emulator.state.clock.advance(seconds=int(refused.headers["Retry-After"]))
    assert api.get("Organisation").status_code == 200


@pytest.mark.parametrize("which", ["minute", "day"])
def test_an_exhausted_limit_says_which_and_when(emulator, api, studio_id, which):
    emulator.state.exhaust_limit(studio_id, which)
    refused = api.get("Invoices")

    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == which
    assert int(refused.headers["Retry-After"]) > (3600 if which == "day" else 0)
    assert refused.headers[{"minute": "X-MinLimit-Remaining", "day": "X-DayLimit-Remaining"}[which]] == "0"


def test_limits_are_per_organisation(emulator, api, tokens, joinery_id, studio_id):
    from tests.devkit.emulator.conftest import Api

    emulator.state.exhaust_limit(studio_id, "day")

    assert Api(emulator.url, tokens["access_token"], joinery_id).get("Organisation").status_code == 200


def test_a_sixth_concurrent_call_is_refused(emulator, api):
    emulator.state.set_latency(0.5)
    answers = []

    def call():
        answers.append(api.get("Organisation").status_code)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200] * 5 + [429]


def test_exhausting_the_concurrent_limit_refuses_at_once(emulator, api, studio_id):
    emulator.state.exhaust_limit(studio_id, "concurrent")
    refused = api.get("Organisation")

    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "concurrent"
    emulator.state.reset_faults()
    assert api.get("Organisation").status_code == 200


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503), ("notfound", 404)])
def test_fail_next_fails_that_many_calls_then_recovers(emulator, api, kind, status):
    emulator.state.fail_next(2, kind)

    assert [api.get("Organisation").status_code for _ in range(3)] == [status, status, 200]


def test_malformed_answers_are_not_json(emulator, api):
    emulator.state.fail_next(1, "malformed")
    answer = api.get("Invoices")

    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_a_timeout_holds_the_request_past_the_clients_timeout(emulator, api):
    emulator.state.fail_next(1, "timeout")

    with pytest.raises(requests.Timeout):
        api.get("Organisation", timeout=0.3)
    emulator.state.reset_faults()  # lets the held request go
    assert api.get("Organisation").status_code == 200


def test_fail_share_fails_about_that_share(emulator, api):
    emulator.state.fail_share(0.5, "503")
    statuses = [api.get("Organisation").status_code for _ in range(40)]

    assert 8 <= statuses.count(503) <= 32 and statuses.count(200) + statuses.count(503) == 40


def test_api_calls_counts_accounting_calls_per_tenant(emulator, api, studio_id, joinery_id):
    api.get("Organisation")
    api.get("Invoices", {"page": 1})

    assert emulator.state.api_calls(studio_id) == 2
    assert emulator.state.api_calls(joinery_id) == 0
    emulator.state.reset_call_counts()
    assert emulator.state.api_calls() == 0
