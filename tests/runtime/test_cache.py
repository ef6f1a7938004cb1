"""The in-process shared cache: bounded in bytes, least recently used first, each entry with its own expiry."""

from __future__ import annotations

from plugin.domain.clock import FixedClock
from plugin.runtime.cache import MemoryCache


def test_the_least_recently_used_entry_goes_first_when_the_bound_is_reached():
    cache = MemoryCache(max_bytes=10_000)
    cache.set("old", bytes(4000))
    cache.set("kept", bytes(4000))
    assert cache.get("old") is not None  # read: now the most recently used
    cache.set("new", bytes(4000))  # passes the bound: "kept" is the least recently used
    assert cache.get("kept") is None
    assert cache.get("old") == bytes(4000) and cache.get("new") == bytes(4000)
    assert cache.stats()["bytes"] <= 10_000


def test_many_small_entries_do_not_push_out_a_recent_large_one():
    """Why not cachelib's SimpleCache: bounded in entries, it dropped the entries nearest expiry (the snapshots and
    matches) once an organisation's invoice index passed 10,000 small keys."""
    cache = MemoryCache(max_bytes=2_000_000)
    cache.set("snapshot", bytes(50_000), timeout=60)
    for number in range(20_000):
        cache.set(f"index:{number}", "contact", timeout=2 * 24 * 3600)
        if number % 1000 == 0:
            assert cache.get("snapshot") is not None
    assert cache.get("snapshot") is not None


def test_an_entry_expires_after_its_own_timeout_on_the_apps_clock():
    clock = FixedClock.at("2026-03-01T09:00:00+00:00")
    cache = MemoryCache(clock=clock)
    cache.set("short", 1, timeout=5)
    cache.set("forever", 2, timeout=0)
    clock.advance(6)
    assert cache.get("short") is None and not cache.has("short")
    assert cache.get("forever") == 2


def test_add_only_sets_a_missing_key_and_inc_counts_keeping_the_expiry():
    clock = FixedClock.at("2026-03-01T09:00:00+00:00")
    cache = MemoryCache(clock=clock)
    assert cache.add("count", 0, timeout=10)
    assert not cache.add("count", 5)
    assert cache.inc("count", 3) == 3 and cache.inc("count") == 4 and cache.dec("count", 2) == 2
    clock.advance(11)
    assert cache.get("count") is None  # the expiry set by add still holds after inc


def test_values_are_stored_encoded_so_a_caller_never_shares_a_live_object():
    cache = MemoryCache()
    value = {"a": [1, 2]}
    cache.set("key", value)
    value["a"].append(3)
    assert cache.get("key") == {"a": [1, 2]}
    assert cache.get_many("key", "missing") == [{"a": [1, 2]}, None]
    cache.delete_many("key")
    assert cache.get("key") is None


def test_get_many_then_set_reads_the_values_from_before_the_set():
    """The panel reads the stored view and match and writes the view a request named, in one Redis round trip."""
    cache = MemoryCache()
    cache.set("view", "open", timeout=0)
    assert cache.get_many_then_set(["view", "match"], "view", "paid", timeout=0) == ["open", None]
    assert cache.get("view") == "paid"
