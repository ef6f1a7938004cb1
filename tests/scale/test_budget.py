"""The per-organisation rate budget: one contract, held by the in-process and the Redis store."""

from __future__ import annotations

import contextlib

import pytest

from plugin.domain.clock import FixedClock
from plugin.domain.models import RateLimitStatus
from plugin.runtime.budget import DAY_PROBE_SECONDS, LocalBudgetStore, RateBudget, RedisBudgetStore
from plugin.xero.errors import RateLimited

TENANT = "tenant-a"


@pytest.fixture(params=["local", "redis"])
def store(request):
    if request.param == "local":
        return LocalBudgetStore()
    prefix = request.getfixturevalue("redis_prefix")
    return RedisBudgetStore(request.getfixturevalue("redis_client"), prefix)


@pytest.fixture
def budget(store, clock):
    return RateBudget(store, clock=clock, wait_for_slot=0.2, poll=0.05)


def spend(budget: RateBudget, n: int, tenant: str = TENANT) -> None:
    for _ in range(n):
        with budget.slot(tenant):
            pass


def test_allows_sixty_calls_a_minute_then_refuses_with_the_wait(budget, clock):
    spend(budget, 60)
    clock.advance(20)
    with pytest.raises(RateLimited) as refused:
        spend(budget, 1)
    assert refused.value.problem == "minute"
    assert refused.value.retry_after == 40


def test_minute_window_slides_so_calls_come_back_as_old_ones_age_out(budget, clock):
    spend(budget, 30)
    clock.advance(30)
    spend(budget, 30)
    clock.advance(31)
    spend(budget, 30)  # the first 30 are over a minute old
    with pytest.raises(RateLimited):
        spend(budget, 1)


def test_at_most_five_in_flight_and_a_sixth_is_refused_after_a_short_wait(budget, clock):
    slots = [budget.slot(TENANT) for _ in range(5)]
    for slot in slots:
        slot.__enter__()
    with pytest.raises(RateLimited) as refused:
        spend(budget, 1)
    assert refused.value.problem == "concurrent"
    assert clock.slept, "waited for a slot before giving up"
    slots[0].__exit__(None, None, None)
    spend(budget, 1)  # a freed slot can be taken again
    for slot in slots[1:]:
        slot.__exit__(None, None, None)


def test_a_slot_is_returned_when_the_call_raises(budget):
    for _ in range(6):
        with pytest.raises(ValueError), budget.slot(TENANT):
            raise ValueError("Xero said no")
    assert budget.usage(TENANT).in_flight == 0


def test_a_spent_day_is_probed_not_waited_out_until_midnight_utc(budget, clock):
    """Xero's daily window resets at a time of its own: with no Retry-After, one call asks every 10 minutes."""
    budget.observe(TENANT, RateLimitStatus(minute_remaining=None, day_remaining=0))
    with pytest.raises(RateLimited) as refused:
        spend(budget, 1)
    assert refused.value.problem == "day"
    assert refused.value.retry_after == DAY_PROBE_SECONDS  # not the 15 hours to midnight UTC (clock is 09:00)
    clock.advance(DAY_PROBE_SECONDS)
    with budget.slot(TENANT):  # the probe; Xero says the allowance is back
        budget.observe(TENANT, RateLimitStatus(day_remaining=4000))
    assert budget.usage(TENANT).day_used == 1000
    spend(budget, 3)  # no more probing: calls go as usual


def test_a_probe_that_xero_still_refuses_holds_the_next_one_back(budget, clock):
    budget.observe(TENANT, RateLimitStatus(day_remaining=0))
    clock.advance(DAY_PROBE_SECONDS)
    with budget.slot(TENANT):
        budget.observe(TENANT, RateLimitStatus(day_remaining=0))
    with pytest.raises(RateLimited) as refused:
        spend(budget, 1)
    assert refused.value.retry_after == DAY_PROBE_SECONDS


def test_xeros_day_refusal_holds_every_call_until_its_retry_after(budget, clock):
    budget.observe(TENANT, RateLimitStatus(day_remaining=0, refused="day", retry_after=5400))
    with pytest.raises(RateLimited) as refused:
        spend(budget, 1)
    assert (refused.value.problem, refused.value.retry_after) == ("day", 5400)  # Xero's word, not ours
    clock.advance(5399)
    with pytest.raises(RateLimited):
        spend(budget, 1)
    clock.advance(1)
    with budget.slot(TENANT):  # the first call after Xero's Retry-After goes, and learns the window reset
        budget.observe(TENANT, RateLimitStatus(day_remaining=5000))
    spend(budget, 2)


def test_xero_headers_raise_our_counts_to_what_xero_has_seen(budget):
    spend(budget, 2)
    budget.observe(TENANT, RateLimitStatus(minute_remaining=10, day_remaining=4000))
    usage = budget.usage(TENANT)
    assert (usage.minute_used, usage.day_used) == (50, 1000)
    spend(budget, 10)
    with pytest.raises(RateLimited):
        spend(budget, 1)


def test_headers_never_lower_our_counts(budget):
    spend(budget, 5)
    budget.observe(TENANT, RateLimitStatus(minute_remaining=60, day_remaining=5000))
    assert budget.usage(TENANT).minute_used == 5


def test_organisations_have_separate_budgets(budget):
    spend(budget, 60)
    spend(budget, 60, tenant="tenant-b")
    with pytest.raises(RateLimited):
        spend(budget, 1)


def test_a_slot_held_by_a_dead_worker_is_freed_after_its_lease(budget, clock):
    for _ in range(5):
        budget.slot(TENANT).__enter__()  # never exited: the worker was killed mid-call
    clock.advance(61)
    spend(budget, 1)


def test_gate_and_on_limits_fit_the_xero_client_hooks(budget):
    with budget.gate(TENANT)():
        assert budget.usage(TENANT).in_flight == 1
    budget.on_limits(TENANT)(RateLimitStatus(minute_remaining=0, day_remaining=None))
    with pytest.raises(RateLimited):
        spend(budget, 1)


def test_redis_keys_expire(redis_client, redis_prefix, clock):
    budget = RateBudget(RedisBudgetStore(redis_client, redis_prefix), clock=FixedClock.at("2026-03-01T09:00:00Z"))
    spend(budget, 1)
    budget.observe(TENANT, RateLimitStatus(minute_remaining=50, day_remaining=4000))
    keys = list(redis_client.scan_iter(match=redis_prefix + "*"))
    assert keys
    assert all(redis_client.ttl(key) > 0 for key in keys), "every budget key carries a TTL"


# --- fair shares: a rep's own calls (Refresh, contact searches) --------------------------------


def spend_as(budget: RateBudget, user: str, n: int, tenant: str = TENANT) -> None:
    with budget.share(user):
        spend(budget, n, tenant)


def test_a_reps_own_calls_are_capped_per_minute_and_others_still_get_theirs(budget, clock):
    from plugin.runtime.budget import USER_SHARE_PER_MINUTE

    spend_as(budget, "rep-1", USER_SHARE_PER_MINUTE)
    clock.advance(10)
    with pytest.raises(RateLimited) as refused:
        spend_as(budget, "rep-1", 1)
    assert refused.value.problem == "minute" and refused.value.retry_after == 50
    spend_as(budget, "rep-2", USER_SHARE_PER_MINUTE)  # another rep's share is untouched
    spend(budget, 10)  # and views go on
    clock.advance(51)
    spend_as(budget, "rep-1", 1)  # the rep's share slides back


def test_reps_own_calls_never_take_the_reserve_so_cold_views_keep_room(budget, clock):
    from plugin.runtime.budget import SHARE_RESERVE, USER_SHARE_PER_MINUTE

    reps = (60 - SHARE_RESERVE) // USER_SHARE_PER_MINUTE + 1
    refused = 0
    for rep in range(reps):
        for _ in range(USER_SHARE_PER_MINUTE):
            try:
                spend_as(budget, f"rep-{rep}", 1)
            except RateLimited:
                refused += 1
    assert refused == reps * USER_SHARE_PER_MINUTE - (60 - SHARE_RESERVE)
    spend(budget, SHARE_RESERVE)  # every call of the reserve is there for views
    with pytest.raises(RateLimited):
        spend(budget, 1)


def test_a_search_storm_by_one_rep_leaves_everyone_else_un_busy(budget, clock):
    for _ in range(50):  # half a second of typing in the contact search
        with contextlib.suppress(RateLimited):
            spend_as(budget, "rep-1", 1)
    assert budget.usage(TENANT).minute_used <= 6
    spend(budget, 50)  # the rest of the organisation's minute is there for everyone else
