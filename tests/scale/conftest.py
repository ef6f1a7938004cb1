"""Fixtures for the scale-out tests: the real Redis (own key prefix per run, only those keys deleted)
and PostgreSQL, each skipped with a reason when the server is not reachable on 127.0.0.1."""

from __future__ import annotations

import socket
import uuid

import pytest

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_prefix():
    """A key prefix no other test run uses; every key under it is deleted afterwards."""
    if not reachable(6379):
        pytest.skip("no Redis at 127.0.0.1:6379 (.ci/run starts one)")
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    for key in connection.scan_iter(match=prefix + "*", count=500):
        connection.delete(key)
    connection.close()


@pytest.fixture
def redis_client(redis_prefix):
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    yield connection
    connection.close()
