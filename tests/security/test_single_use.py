"""Single-use markers (used CRM contexts, used sign-in tickets, pending OAuth states, applied webhook deliveries)
live where nothing evicts them before they expire: the database, or Redis keys with their own TTL. When that
store can't answer, the panel refuses rather than forgets. The customer directory is not the first thing the
in-process cache evicts either."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from plugin import create_app
from plugin.admin.oauth_state import PendingSignIn, claim_sign_in, remember_sign_in
from plugin.admin.tickets import TicketRefused, check_ticket, issue_ticket, redeem_ticket
from plugin.domain.matching import CustomerDirectory
from plugin.runtime.markers import MarkersUnavailable, RedisMarkers
from plugin.runtime.snapshots import payload_key
from plugin.services import services
from tests.embed.test_session import context, embed_app, probe_blueprint, web  # noqa: F401 (fixtures)
from tests.scale.conftest import REDIS_URL, redis_client, redis_prefix  # noqa: F401 (fixtures)

SECRET = "app-secret-key-for-tests-0123456789"


def fill_the_cache(app, blob_bytes: int = 256 * 1024) -> None:
    """What viewing many customers of a large organisation does: more snapshots than the in-process cache holds,
    so it has evicted the least recently used."""
    with app.app_context():
        cache = services().cache
        bound = cache.cache.stats()["max_bytes"]
        for number in range(bound // blob_bytes + 8):
            cache.set(payload_key("tenant-big", f"contact-{number}"), bytes(blob_bytes))
        assert cache.get(payload_key("tenant-big", "contact-0")) is None  # the first ones are gone


def test_a_used_context_stays_used_when_the_cache_fills(web, embed_app, clock):  # noqa: F811
    used = context(clock)
    assert web.get("/panel/probe/open", query_string={"context": used}).status_code == 200
    fill_the_cache(embed_app)
    replay = web.get("/panel/probe/open", query_string={"context": used})
    assert replay.status_code == 401 and "already used" in replay.text


def test_a_used_ticket_stays_used_when_the_cache_fills(app, clock):
    with app.app_context():
        token = issue_ticket(account_id="acct-1", user_id="u1", user_email="a@crm.test", secret=SECRET, clock=clock)
        redeem_ticket(token, secret=SECRET, clock=clock)
    fill_the_cache(app)
    with app.app_context():
        with pytest.raises(TicketRefused, match="already used"):
            check_ticket(token, secret=SECRET, clock=clock)
        with pytest.raises(TicketRefused, match="already used"):
            redeem_ticket(token, secret=SECRET, clock=clock)


def test_a_pending_sign_in_survives_a_full_cache_and_is_claimed_once(app):
    pending = PendingSignIn("state-1", "verifier", "acct-1", "u1", "a@crm.test")
    with app.app_context():
        remember_sign_in(pending)
    fill_the_cache(app)
    with app.app_context():
        assert claim_sign_in("state-1") == pending
        assert claim_sign_in("state-1") is None


def test_markers_expire_on_the_apps_clock_and_can_be_claimed_again_then(app, clock):
    with app.app_context():
        markers = services().markers
        assert markers.claim("k", ttl=60) is True
        assert markers.claim("k", ttl=60) is False
        assert markers.is_claimed("k")
        clock.advance(61)
        assert not markers.is_claimed("k")
        assert markers.claim("k", ttl=60) is True
        assert markers.claim("v", ttl=60, value="kept") is True
        assert markers.take("v") == "kept"
        assert markers.take("v") is None


def test_the_customer_directory_is_not_evicted_by_per_contact_entries(app):
    with app.app_context():
        directory = CustomerDirectory.of("tenant-big", [])
        services().directories.put("tenant-big", directory)
    fill_the_cache(app)
    with app.app_context():
        assert services().directories.peek("tenant-big") == directory


def test_redis_markers_are_keys_with_their_own_ttl(redis_client, redis_prefix):  # noqa: F811
    markers = RedisMarkers(redis_client, redis_prefix)
    assert markers.claim("jti-1", ttl=60) is True
    assert markers.claim("jti-1", ttl=60) is False
    assert 55 <= redis_client.ttl(redis_prefix + "once:jti-1") <= 60
    assert markers.claim("state", ttl=60, value="pending") is True
    assert markers.take("state") == "pending" and markers.take("state") is None


class DownRedis:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RedisConnectionError("connection refused")

        return fail


def test_when_redis_cannot_answer_markers_refuse_rather_than_forget():
    markers = RedisMarkers(DownRedis(), "p:")
    for attempt in (lambda: markers.claim("k", ttl=60), lambda: markers.is_claimed("k"), lambda: markers.take("k")):
        with pytest.raises(MarkersUnavailable):
            attempt()


def test_a_context_is_refused_in_plain_words_when_the_marker_store_is_down(tmp_path, clock, monkeypatch):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
                      "CONTEXT_SECRET": "crm-shared-secret-for-tests-0123456789"})
    app.register_blueprint(probe_blueprint())
    monkeypatch.setattr(services(app), "markers", RedisMarkers(DownRedis(), "p:"))
    answer = app.test_client().get("/panel/probe/open", query_string={"context": context(clock)})
    assert answer.status_code == 503 and "Try again" in answer.text
    assert "session" not in answer.text.lower() or "X-Panel-Session" not in answer.text


def test_with_redis_the_app_keeps_markers_in_redis(tmp_path, clock, redis_client, redis_prefix):  # noqa: F811
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
                      "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": redis_prefix})
    with app.app_context():
        assert isinstance(services().markers, RedisMarkers)
        assert services().markers.claim("x", ttl=30)
    assert redis_client.exists(redis_prefix + "once:x")


def test_marking_a_context_used_does_not_make_the_panel_read_its_connection_again(app):
    """A marker row is a write no remembered answer depends on (Connections.recent keeps its answer)."""
    from plugin.storage.database import write_generation

    with app.app_context():
        before = write_generation()
        assert services().markers.claim("jti-x", ttl=60)
        assert services().markers.take("nothing") is None
        assert write_generation() == before
