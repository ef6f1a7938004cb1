"""When a GET is tried again and how long the client waits first."""

from __future__ import annotations

import pytest

from plugin.xero.retry import MAX_DELAY, backoff, equal_jitter, should_retry


@pytest.mark.parametrize(
    ("status", "attempt", "max_retries", "expected"),
    [
        (None, 0, 2, True),  # connection error or time-out
        (500, 0, 2, True),
        (502, 1, 2, True),
        (503, 1, 2, True),
        (504, 0, 2, True),
        (503, 2, 2, False),  # retries used up
        (None, 0, 0, False),  # retrying switched off
        (501, 0, 2, False),  # asking again will not help
        (400, 0, 2, False),
        (401, 0, 2, False),  # handled by refreshing, not by retrying
        (404, 0, 2, False),
        (429, 0, 2, False),  # handled by Retry-After, not by backoff
    ],
)
def test_should_retry(status, attempt, max_retries, expected):
    assert should_retry(status, attempt, max_retries) is expected


def test_backoff_doubles_then_stops_at_the_cap():
    waits = [backoff(attempt, jitter=lambda s: s) for attempt in range(6)]
    assert waits == [0.25, 0.5, 1.0, 2.0, MAX_DELAY, MAX_DELAY]


def test_backoff_passes_the_capped_delay_through_the_jitter_seam():
    seen = []
    backoff(10, jitter=lambda s: seen.append(s) or 0.0)
    assert seen == [MAX_DELAY]


def test_equal_jitter_stays_between_half_and_all():
    samples = [equal_jitter(2.0) for _ in range(200)]
    assert all(1.0 <= s <= 2.0 for s in samples)
    assert len(set(samples)) > 1
