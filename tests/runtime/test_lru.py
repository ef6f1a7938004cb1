"""plugin.runtime.lru.SharedLru: bounded by entries or by the sizes it is told."""

from plugin.runtime.lru import SharedLru


def test_bounded_by_size_the_oldest_goes_and_what_is_larger_than_the_bound_is_not_kept():
    kept: SharedLru[str, bytes] = SharedLru(100, size_of=len)
    kept.put("a", b"x" * 40)
    kept.put("b", b"x" * 40)
    kept.get("a")
    kept.put("c", b"x" * 40)  # 120 bytes would not fit: "b", the least recently used, goes
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (b"x" * 40, None, b"x" * 40)
    kept.put("huge", b"x" * 101)
    assert kept.get("huge") is None and len(kept) == 2


def test_bounded_by_entries_and_popped_on_demand():
    kept: SharedLru[str, int] = SharedLru(2)
    for number, key in enumerate("abc"):
        kept.put(key, number)
    kept.pop("c")
    kept.pop("missing")
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (None, 1, None)
