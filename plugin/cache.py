"""Flask-Caching: in-process by default, Redis when REDIS_URL is configured (shared by workers)."""

from __future__ import annotations

from flask import Flask
from flask_caching import Cache

cache = Cache()


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url}
    else:
        settings = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 10_000}
    settings["CACHE_DEFAULT_TIMEOUT"] = 24 * 3600  # freshness is judged from stored fetch times
    settings["CACHE_KEY_PREFIX"] = app.config.get("REDIS_KEY_PREFIX") or "xero-panel:"
    cache.init_app(app, config=settings)
