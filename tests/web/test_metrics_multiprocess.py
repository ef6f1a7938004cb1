"""Metrics under gunicorn: each worker a process, one scrape adding up every worker's figures
(prometheus-client's multiprocess mode), dead workers' live gauges forgotten, and `xero-panel serve`
choosing the folder after prometheus-client was imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from plugin.runtime import metrics
from plugin.web import serve

ROOT = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent("""
    import os, sys
    from plugin.runtime import metrics
    calls, remaining = int(sys.argv[1]), int(sys.argv[2])
    for _ in range(calls):
        metrics.xero_call("Invoices", "ok", 0.2)
    metrics.in_flight("tenant-1", 1)  # still "in flight" when this worker goes
    metrics.budget_remaining("tenant-1", "minute", remaining)
    print(os.getpid())
""")


def python(code: str, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.strip()


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def test_two_worker_processes_are_added_up_and_a_dead_ones_live_gauges_dropped(tmp_path, monkeypatch):
    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}
    workers = [python(WORKER, "2", "41", env=env), python(WORKER, "3", "40", env=env)]  # at the same time
    first_pid, _second_pid = (int(finished(worker)) for worker in workers)

    text = metrics.exposition(str(tmp_path))[0].decode()
    assert sample(text, "xero_panel_xero_calls_total", operation="Invoices", outcome="ok") == 5
    assert sample(text, "xero_panel_xero_call_seconds_count", operation="Invoices") == 5
    assert sample(text, "xero_panel_xero_call_seconds_sum", operation="Invoices") == 1.0
    assert sample(text, "xero_panel_xero_in_flight", tenant="tenant-1") == 2  # livesum over live workers
    assert sample(text, "xero_panel_budget_remaining", tenant="tenant-1", window="minute") in (40, 41)

    # gunicorn calls child_exit in the master when a worker has gone.
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    serve.child_exit(None, SimpleNamespace(pid=first_pid))
    text = metrics.exposition(str(tmp_path))[0].decode()
    assert sample(text, "xero_panel_xero_in_flight", tenant="tenant-1") == 1
    assert sample(text, "xero_panel_xero_calls_total", operation="Invoices", outcome="ok") == 5, \
        "what a dead worker counted stays counted"


SERVE_MASTER = textwrap.dedent("""
    import json, os, sys
    from plugin import create_app          # everything imported, as the CLI does before `serve` runs
    from plugin.runtime import metrics
    from plugin.web import serve
    folder, made = serve.prepare_metrics_dir()
    pid = os.fork()                         # a gunicorn worker
    if pid == 0:
        metrics.xero_call("Organisation", "ok", 0.1)
        os._exit(0)
    os.waitpid(pid, 0)
    metrics.xero_call("Organisation", "ok", 0.1)
    text = metrics.exposition()[0].decode()
    print(json.dumps({"folder": folder, "made": made, "env": os.environ.get(metrics.MULTIPROC_ENV),
                      "files": sorted(os.listdir(folder)), "text": text}))
""")


def test_serve_makes_a_fresh_folder_after_prometheus_client_was_imported(tmp_path):
    env = {key: value for key, value in os.environ.items() if key.upper() != metrics.MULTIPROC_ENV}
    env["XERO_PANEL_INSTANCE_PATH"] = str(tmp_path)
    result = json.loads(finished(python(SERVE_MASTER, env=env)))
    try:
        assert result["made"] and result["env"] == result["folder"]
        assert Path(result["folder"]).name.startswith("xero-panel-metrics-")
        assert any(name.startswith("counter_") for name in result["files"]), "values live in the folder's files"
        assert sample(result["text"], "xero_panel_xero_calls_total", operation="Organisation", outcome="ok") == 2
    finally:
        for leftover in Path(result["folder"]).glob("*.db"):
            leftover.unlink()
        Path(result["folder"]).rmdir()


def test_serve_uses_a_configured_folder_emptied_of_earlier_runs(tmp_path):
    (tmp_path / "counter_12345.db").write_bytes(b"stale")
    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path), "XERO_PANEL_INSTANCE_PATH": str(tmp_path / "i")}
    result = json.loads(finished(python(SERVE_MASTER, env=env)))
    assert result["folder"] == str(tmp_path) and not result["made"]
    assert "counter_12345.db" not in result["files"]
    assert sample(result["text"], "xero_panel_xero_calls_total", operation="Organisation", outcome="ok") == 2


def test_gunicorn_is_given_the_child_exit_hook():
    options = serve.gunicorn_options(bind="127.0.0.1:0", workers=2)
    application = serve.PanelApplication(lambda _config: None, options)
    assert application.cfg.child_exit is serve.child_exit
