"""`xero-panel serve`: the panel app under gunicorn, built by create_app in every worker.

Workers share nothing in memory, so run more than one only with REDIS_URL set (cache, rate
budget and locks then live in Redis) and, for several hosts, DATABASE_URL on PostgreSQL.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)

# gunicorn's default format with %(U)s (the path) where it has %(r)s (the request line, query string
# included) and without the referrer.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


class PanelApplication(BaseApplication):
    """Gunicorn with our options instead of its command line; the app is made per worker, after fork."""

    def __init__(self, options: Mapping[str, Any], app_config: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options)
        self.app_config = dict(app_config or {})
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        from plugin import create_app

        return create_app(self.app_config or None)


def gunicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    threads = getattr(args, "threads", None) or 4
    return {
        "bind": args.bind,
        "workers": args.workers,
        # Threads let a worker serve warm renders while another request waits on Xero.
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": getattr(args, "access_log", None),
        # Path without the query string: a first load's query carries the CRM's signed context.
        "access_log_format": ACCESS_LOG_FORMAT,
    }


def run(args: argparse.Namespace) -> int:
    from plugin import create_app

    # Build once in the master: fails fast on bad configuration and runs migrations before workers start.
    app = create_app()
    if args.workers > 1 and not app.config.get("REDIS_URL"):
        log.warning("%d workers without XERO_PANEL_REDIS_URL: each keeps its own cache and rate budget", args.workers)
    PanelApplication(gunicorn_options(args)).run()
    return 0
