"""Single-flight: many concurrent callers of one key, one fetch; bounded waits; leader failure."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from plugin.runtime.single_flight import LocalLocks, RedisLocks, SingleFlight, StillLoading


@pytest.fixture(params=["local", "redis"])
def locks(request):
    if request.param == "local":
        return LocalLocks()
    return RedisLocks(request.getfixturevalue("redis_client"), request.getfixturevalue("redis_prefix"))


class SlowSource:
    """A fetch that stores into `store` after every caller has arrived, counting calls."""

    def __init__(self, callers: int) -> None:
        self.calls = 0
        self.store: dict[str, str] = {}
        self.arrived = threading.Barrier(callers, timeout=10)
        self._count = threading.Lock()

    def fetch(self, key: str):
        with self._count:
            self.calls += 1
        self.store[key] = f"value of {key}"
        return self.store[key]


def test_fifty_concurrent_callers_make_one_fetch(locks):
    flight = SingleFlight(locks)
    source = SlowSource(50)
    release_leader = threading.Event()

    def fetch():
        release_leader.wait(5)  # hold the lock until every caller is waiting on it
        return source.fetch("contact-1")

    def call(_):
        source.arrived.wait()
        threading.Timer(0.2, release_leader.set).start()
        return flight.run("contact-1", fetch, lambda: source.store.get("contact-1"))

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(call, range(50)))
    assert source.calls == 1
    assert set(results) == {"value of contact-1"}


def test_different_keys_fetch_separately(locks):
    flight = SingleFlight(locks)
    source = SlowSource(1)
    for key in ("a", "b"):
        flight.run(key, lambda key=key: source.fetch(key), lambda key=key: source.store.get(key))
    assert source.calls == 2


def test_when_the_leader_fails_a_waiter_takes_over(locks):
    flight = SingleFlight(locks)
    store: dict[str, str] = {}
    leader_in = threading.Event()
    let_leader_fail = threading.Event()

    def failing_fetch():
        leader_in.set()
        let_leader_fail.wait(5)
        raise RuntimeError("Xero fell over")

    def leader():
        with pytest.raises(RuntimeError):
            flight.run("k", failing_fetch, lambda: store.get("k"))

    thread = threading.Thread(target=leader)
    thread.start()
    leader_in.wait(5)
    threading.Timer(0.1, let_leader_fail.set).start()
    result = flight.run("k", lambda: store.setdefault("k", "second try"), lambda: store.get("k"))
    thread.join()
    assert result == "second try"


def test_a_waiter_gives_up_after_the_bounded_wait(locks):
    flight = SingleFlight(locks, max_wait=0.2)
    token = locks.try_acquire("stuck", 30)  # a leader that never finishes
    with pytest.raises(StillLoading):
        flight.run("stuck", lambda: "never called", lambda: None)
    locks.release("stuck", token)


def test_a_lock_is_released_only_by_its_holder(locks):
    token = locks.try_acquire("k", 30)
    locks.release("k", "someone else's token")
    assert locks.try_acquire("k", 30) is None
    locks.release("k", token)
    assert locks.try_acquire("k", 30) is not None


def test_when_xero_fails_the_callers_waiting_on_the_same_key_get_that_answer_without_calling_again():
    from plugin.xero.errors import XeroUnavailable

    flight = SingleFlight(LocalLocks())
    calls, waiting = [], threading.Barrier(6, timeout=5)
    leader_in, let_leader_fail = threading.Event(), threading.Event()

    def failing_fetch():
        calls.append(1)
        leader_in.set()
        let_leader_fail.wait(5)
        raise XeroUnavailable("503 from Xero")

    def rep(_):
        waiting.wait()
        try:
            flight.run("k", failing_fetch, lambda: None)
        except XeroUnavailable as error:
            return str(error)

    with ThreadPoolExecutor(6) as pool:
        answers = pool.map(rep, range(6))
        leader_in.wait(5)
        threading.Timer(0.2, let_leader_fail.set).start()
        assert set(answers) == {"503 from Xero"}
    assert len(calls) == 1, "one call during an outage, however many reps were waiting"
    with pytest.raises(XeroUnavailable):
        flight.run("k", failing_fetch, lambda: None)
    assert len(calls) == 2, "a rep who asks after the failure gets a new try"
