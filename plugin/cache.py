"""Flask-Caching: in-process by default, Redis when REDIS_URL is configured (shared by workers)."""

from __future__ import annotations

from flask import Flask
from flask_caching import Cache
from flask_caching.backends import SimpleCache

from plugin.decoded_cache import memoise_decoding
from plugin.redis_link import Failover

cache = Cache()


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        # Time-outs: a Redis that stalls after connecting must raise (and so fail over below), not hang requests.
        settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url,
                    "CACHE_OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 2, "health_check_interval": 30}}
    else:
        settings = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 10_000}
    settings["CACHE_DEFAULT_TIMEOUT"] = 24 * 3600  # freshness is judged from stored fetch times
    settings["CACHE_KEY_PREFIX"] = app.config.get("REDIS_KEY_PREFIX") or "xero-panel:"
    cache.init_app(app, config=settings)
    backends = app.extensions["cache"]
    memoise_decoding(backends[cache])  # a warm render reuses the decoded invoice snapshot (plugin.decoded_cache)
    if redis_url:  # while Redis is unreachable, this worker caches in its own memory
        fallback = SimpleCache(threshold=10_000, default_timeout=24 * 3600)
        memoise_decoding(fallback)
        backends[cache] = Failover(backends[cache], fallback, what="cache")
