"""One Redis connection pool per app (REDIS_URL), shared by the rate budget, the single-flight locks
and the webhook bookkeeping. None when no Redis is configured: those parts then work in-process."""

from __future__ import annotations

import threading

from flask import Flask

DEFAULT_PREFIX = "xero-panel:"
_lock = threading.Lock()


def redis_for(app: Flask):
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    services = app.extensions.setdefault("plugin", {})
    with _lock:
        if "redis" not in services:
            import redis

            services["redis"] = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
    return services["redis"]


def key_prefix(app: Flask) -> str:
    """Every key this app writes starts with this (tests give each run its own and delete only those)."""
    return app.config.get("REDIS_KEY_PREFIX") or DEFAULT_PREFIX
