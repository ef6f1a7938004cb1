"""The shared cache (Flask-Caching): in-process by default, Redis when REDIS_URL is configured.

Built once per app by plugin.services. With Redis, a Redis that is unreachable fails over to this worker's
own memory (plugin.runtime.redis_link.Failover) until it answers again. Values are never pickled, in Redis or
in memory: plugin.runtime.encoding's serializer writes MessagePack and refuses anything else on the way out.
"""

from __future__ import annotations

from flask import Flask
from flask_caching import Cache
from flask_caching.backends import SimpleCache

from plugin.runtime.encoding import SharedCacheSerializer
from plugin.runtime.redis_link import Failover

KEEP_SECONDS = 24 * 3600  # entries outlive their freshness: freshness is judged from stored fetch times
LOCAL_ENTRIES = 10_000
LOCAL_DIRECTORIES = 1_000  # organisations one worker serves; directories have their own in-process store


def build(app: Flask, *, redis_url: str, prefix: str) -> Cache:
    if redis_url:
        # Time-outs: a Redis that stalls after connecting must raise (and so fail over below), not hang requests.
        settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url,
                    "CACHE_OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 2, "health_check_interval": 30}}
    else:
        settings = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": LOCAL_ENTRIES}
    settings["CACHE_DEFAULT_TIMEOUT"] = KEEP_SECONDS
    settings["CACHE_KEY_PREFIX"] = prefix
    cache = Cache()
    cache.init_app(app, config=settings)
    backends = app.extensions["cache"]
    backends[cache].serializer = SharedCacheSerializer()
    if redis_url:  # while Redis is unreachable, this worker caches in its own memory
        backends[cache] = Failover(backends[cache], in_process(), what="cache")
    return cache


def in_process(entries: int = LOCAL_ENTRIES) -> SimpleCache:
    """A cache in this process's memory, encoded like the shared one (the fallback, and tests' stand-in)."""
    fallback = SimpleCache(threshold=entries, default_timeout=KEEP_SECONDS)
    fallback.serializer = SharedCacheSerializer()
    return fallback


def local_directories() -> SimpleCache:
    """The in-process store of customer directories (without REDIS_URL), apart from the per-contact entries.

    SimpleCache prunes by dropping expired entries and then the oldest ones; in the main cache thousands of
    per-contact entries pushed the directory (written once per 15 minutes, so one of the oldest) out first,
    and every view refetched it. Here only directories compete, one per organisation."""
    return in_process(LOCAL_DIRECTORIES)
