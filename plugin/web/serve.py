"""`xero-panel serve`: the panel app under gunicorn, built by create_app in every worker.

Workers share nothing in memory, so more than one needs REDIS_URL (cache, rate budget, locks and the
single-use markers then live in Redis) and, for several hosts, DATABASE_URL on PostgreSQL; `run` refuses to
start otherwise, and refuses demo secrets outside emulator mode (plugin.settings.production_problems).

Metrics: each worker is a process of its own, so they are kept in prometheus-client's multiprocess mode, in
PROMETHEUS_MULTIPROC_DIR when it is set (emptied of old metric files first) or else in a fresh temporary
folder made for this run and removed when it stops. Whichever worker answers /metrics adds up every
worker's figures; gunicorn's `child_exit` hook forgets the live gauges of a worker that died.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from plugin import settings
from plugin.runtime import metrics

log = logging.getLogger(__name__)

# gunicorn's default format with %(U)s (the path) where it has %(r)s (the request line, query string
# included) and without the referrer.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


AppFactory = Callable[[Mapping[str, Any] | None], Flask]


class PanelApplication(BaseApplication):
    """Gunicorn with our options instead of its command line; the app is made per worker, after fork."""

    def __init__(self, factory: AppFactory, options: Mapping[str, Any],
                 app_config: Mapping[str, Any] | None = None) -> None:
        self.factory = factory
        self.options = dict(options)
        self.app_config = dict(app_config or {})
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.factory(self.app_config or None)


def gunicorn_options(*, bind: str, workers: int, threads: int = 4, access_log: str | None = None) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        # Threads let a worker serve warm renders while another request waits on Xero.
        "worker_class": "gthread",
        "threads": threads or 4,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": access_log,
        # Path without the query string: a first load's query carries the CRM's signed context.
        "access_log_format": ACCESS_LOG_FORMAT,
        "child_exit": child_exit,
    }


def child_exit(_server: Any, worker: Any) -> None:
    """gunicorn's hook, in the master, when a worker has exited (stopped, killed or crashed)."""
    metrics.worker_exited(worker.pid)


def prepare_metrics_dir() -> tuple[str, bool]:
    """The workers' multiprocess metrics folder, in use from now on in this process and the workers it forks,
    and whether it was made for this run (then `run` removes it when gunicorn stops). A configured one is
    emptied of metric files from earlier runs, which prometheus-client would otherwise add up forever."""
    configured = metrics.multiprocess_dir()
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)
        metrics.use_multiprocess_dir(str(folder))
        return str(folder), False
    made = tempfile.mkdtemp(prefix="xero-panel-metrics-")
    metrics.use_multiprocess_dir(made)
    return made, True


def refusals(config: Mapping[str, Any], workers: int) -> list[str]:
    """Why this start must not go ahead, in plain words; empty when it may."""
    problems = settings.production_problems(config)
    if workers > 1 and not config.get("REDIS_URL"):
        problems.append(f"{workers} workers need XERO_PANEL_REDIS_URL: without a shared store each worker would "
                        "accept every CRM context and sign-in once more and keep its own Xero budget. "
                        "Set XERO_PANEL_REDIS_URL, or run --workers 1.")
    return problems


def run(factory: AppFactory, options: Mapping[str, Any]) -> int:
    # Build once in the master: fails fast on bad configuration and runs migrations before workers start.
    app = factory(None)
    problems = refusals(app.config, int(options["workers"]))
    if problems:
        print("xero-panel serve refuses to start:\n" + "\n".join(f"- {problem}" for problem in problems),
              file=sys.stderr)
        return 2
    folder, made = prepare_metrics_dir()
    try:
        PanelApplication(factory, options).run()
    finally:
        if made:
            shutil.rmtree(folder, ignore_errors=True)
    return 0
