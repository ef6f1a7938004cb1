# ruff: noqa: F811  (the database fixtures are imported by name, as pytest finds them)
"""StoredTokens: one refresh per connection at a time, persisted before use, grace retry, invalid_grant."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from plugin.domain.models import TokenSet
from plugin.runtime.tokens import NotConnected, StoredTokens
from plugin.services import services
from plugin.storage import Connections
from plugin.xero.errors import ConnectionRevoked, InvalidGrant, XeroUnavailable
from tests.storage.databases import (  # noqa: F401  (fixtures)
    database_url,
    postgres_schema_url,
    postgres_url,
    storage_app,
    store,
)

ACCOUNT = "acct-1"


class FakeXeroIdentity:
    """Xero's refresh rules without the grace period unless asked: reusing a rotated token is invalid_grant."""

    def __init__(self, clock, first_refresh: str = "r0", *, grace: bool = False, delay: float = 0.0) -> None:
        self.clock = clock
        self.valid = {first_refresh}
        self.answers: dict[str, TokenSet] = {}
        self.grace = grace
        self.delay = delay
        self.calls: list[str] = []
        self.rotations = 0
        self.invalid_grants = 0
        self.lose_answers = 0  # the next n answers are lost after the rotation happened
        self.unavailable = 0  # the next n calls fail before reaching Xero
        self._lock = threading.Lock()

    def refresh(self, refresh_token: str) -> TokenSet:
        time.sleep(self.delay)  # widen the window in which a second worker could sneak in
        with self._lock:
            self.calls.append(refresh_token)
            if self.unavailable:
                self.unavailable -= 1
                raise XeroUnavailable("identity server: ConnectTimeout")
            if refresh_token in self.answers and self.grace:
                answer = self.answers[refresh_token]
            elif refresh_token in self.valid:
                self.valid.discard(refresh_token)
                self.rotations += 1
                answer = TokenSet(f"a{self.rotations}", f"r{self.rotations}", self.clock.now() + timedelta(minutes=30))
                self.valid.add(answer.refresh_token)
                self.answers[refresh_token] = answer
            else:
                self.invalid_grants += 1
                raise InvalidGrant("refresh token already used")
            if self.lose_answers:
                self.lose_answers -= 1
                raise XeroUnavailable("identity server: ReadTimeout")
            return answer


def connect(store, clock, *, expires_in: timedelta = timedelta(minutes=30)) -> None:
    tokens = TokenSet("a0", "r0", clock.now() + expires_in)
    store.connections.store_consent(ACCOUNT, tokens, connected_by_email="admin@a.test")
    store.connections.choose_tenant(ACCOUNT, "tenant-1", tenant_name="Demo Ltd")
    store.connections.activate(ACCOUNT)


def source(store, identity, clock, connections: Connections | None = None) -> StoredTokens:
    return StoredTokens(connections or store.connections, ACCOUNT, identity, clock=clock)


def test_a_fresh_token_is_used_without_refreshing(store, clock):
    connect(store, clock)
    identity = FakeXeroIdentity(clock)
    assert source(store, identity, clock).access_token() == "a0"
    assert identity.calls == []


def test_a_token_near_expiry_is_refreshed_and_stored_before_it_is_returned(store, clock):
    connect(store, clock, expires_in=timedelta(seconds=60))
    identity = FakeXeroIdentity(clock)

    assert source(store, identity, clock).access_token() == "a1"

    stored = store.connections.tokens(ACCOUNT)
    assert (stored.access_token, stored.refresh_token) == ("a1", "r1")
    info = store.connections.get(ACCOUNT)
    assert info.last_refresh_at == clock.now() and info.token_version == 2


def test_a_rejected_token_is_refreshed_once_and_a_stale_rejection_is_not(store, clock):
    connect(store, clock)
    identity = FakeXeroIdentity(clock)
    tokens = source(store, identity, clock)

    assert tokens.refresh_after_rejection("a0") == "a1"
    assert tokens.refresh_after_rejection("a0") == "a1"  # someone already replaced a0: no second rotation
    assert identity.rotations == 1


def test_invalid_grant_marks_the_connection_for_reconnect(store, clock):
    connect(store, clock)
    identity = FakeXeroIdentity(clock, first_refresh="something-else")

    with pytest.raises(ConnectionRevoked):
        source(store, identity, clock).refresh_after_rejection("a0")

    info = store.connections.get(ACCOUNT)
    assert info.needs_reconnect and "reconnect" in info.last_error
    with pytest.raises(ConnectionRevoked):
        source(store, identity, clock).access_token()
    assert len(identity.calls) == 1  # no further attempts with a refused token


def test_a_lost_refresh_answer_is_retried_with_the_same_token_inside_the_grace(store, clock):
    connect(store, clock)
    identity = FakeXeroIdentity(clock, grace=True)
    identity.lose_answers = 1

    assert source(store, identity, clock).refresh_after_rejection("a0") == "a1"

    assert identity.calls == ["r0", "r0"]
    assert store.connections.tokens(ACCOUNT).refresh_token == "r1"
    assert clock.slept  # waited (on the injected clock) before retrying


def test_identity_server_down_keeps_the_old_tokens_and_says_why(store, clock):
    connect(store, clock)
    identity = FakeXeroIdentity(clock)
    identity.unavailable = 5

    with pytest.raises(XeroUnavailable):
        source(store, identity, clock).refresh_after_rejection("a0")

    info = store.connections.get(ACCOUNT)
    assert info.is_active and "Refreshing the Xero token failed" in info.last_error
    assert store.connections.tokens(ACCOUNT).refresh_token == "r0"


def test_no_connection_and_pending_connection_are_not_connected(storage_app, store, clock):
    with pytest.raises(NotConnected):
        source(store, FakeXeroIdentity(clock), clock).access_token()
    store.connections.store_consent(ACCOUNT, TokenSet("a0", "r0", clock.now()), connected_by_email="a@a.test")
    with storage_app.app_context():
        with pytest.raises(NotConnected):
            services().xero_client(ACCOUNT)
        store.connections.mark_needs_reconnect(ACCOUNT, "refused")
        with pytest.raises(ConnectionRevoked):
            services().xero_client(ACCOUNT, allow_pending=True)


def test_threads_refreshing_at_once_rotate_once(store, clock):
    """Each worker has its own repository object, so only the database lock keeps them apart."""
    connect(store, clock)
    identity = FakeXeroIdentity(clock, delay=0.05)
    workers = [source(store, identity, clock, Connections(store)) for _ in range(6)]
    start = threading.Barrier(len(workers))

    def refresh(worker: StoredTokens) -> str:
        start.wait()
        return worker.refresh_after_rejection("a0")

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        results = list(pool.map(refresh, workers))

    assert results == ["a1"] * len(workers)
    assert (identity.rotations, identity.invalid_grants) == (1, 0)
    assert store.connections.tokens(ACCOUNT).refresh_token == "r1"


def test_an_app_keeps_one_connection_pool_and_one_oauth_helper_for_xero(tmp_path, clock):
    from plugin import create_app
    from plugin.services import services

    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/pool.sqlite"})
    with app.app_context():
        first = services().oauth()
        assert services().oauth() is first, "its JWKS cache lasts between sign-ins"
        assert services(app).xero_http is first._session, "keep-alive connections to Xero are reused"
        app.config["XERO_TIMEOUT"] = 3
        assert services().oauth() is not first, "a changed configuration is honoured"
