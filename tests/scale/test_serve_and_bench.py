"""`xero-panel serve` builds gunicorn from our options and our app factory; the bench's table reads its JSON."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

from click.testing import CliRunner
from flask import render_template_string

from devkit.bench import TAB_CLICK, _percentiles, _stolen_share, format_table
from plugin import create_app
from plugin.cli import main
from plugin.panel.model import PanelQuery, build_panel
from plugin.web import serve
from plugin.web.serve import PanelApplication, gunicorn_options


def test_serve_options_come_from_the_command_line(monkeypatch):
    started = {}
    monkeypatch.setattr(serve, "run", lambda factory, options: started.update(options) or 0)
    result = CliRunner().invoke(main, ["serve", "--bind", "127.0.0.1:6100", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert (started["bind"], started["workers"]) == ("127.0.0.1:6100", 3)


def test_gunicorn_application_uses_the_app_factory(tmp_path):
    options = gunicorn_options(bind="127.0.0.1:0", workers=2, threads=2)
    application = PanelApplication(create_app, options, {"DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite"})
    assert application.cfg.workers == 2
    app = application.load()
    assert "webhooks.receive" in app.view_functions


def test_the_dev_kit_commands_are_found_through_entry_points():
    listed = CliRunner().invoke(main, ["--help"]).output
    for command in ("serve", "context", "db", "demo", "emulator", "bench"):
        assert command in listed
    assert "--duration" in CliRunner().invoke(main, ["bench", "--help"]).output


def test_bench_table_shows_every_figure():
    results = {
        "machine": {"cpu": "test cpu", "cores": 2, "python": "3.11"},
        "parse": {"client_s": 0.01, "sdk_s": 0.05, "ratio": 5.0},
        "warm_render": {"100": {"p50_ms": 1.0, "p95_ms": 2.0}},
        "cold_render": {"p50_ms": 10.0, "p95_ms": 20.0, "xero_calls_per_cold_view": 1.0, "emulator_latency_s": 0.2},
        "calls_per_100_actions": {"xero_calls": 10, "actions": 100, "calls_per_cold_view": 1.0,
                                  "calls_per_other_action": 0.0},
        "load": {"renders_per_s": 500, "p95_ms": 30.0, "errors": 0, "busy_notices": 0, "emulator_429s": 0,
                 "workers": 2, "users": 50, "duration_s": 60, "peak_rss_mb_per_worker": {"1": 90.0},
                 "steal_share": 0.02},
        "freshness": {"with_webhooks": {"seconds": 3.1, "poll_s": 3.0},
                      "without_webhooks": {"seconds": None, "cache_ttl_s": 60}},
    }
    table = format_table(results)
    for figure in ("1 parse", "2 warm render", "3 cold render", "4 Xero calls", "5 load run", "6 freshness",
                   "7 peak memory", "not seen", "2% stolen by the host"):
        assert figure in table


def test_the_load_run_clicks_a_tab_with_what_the_tab_itself_sends(app):
    """The load run's request is a view tab's: its hx-vals, and the fields of #filters the panel includes with it."""
    page = build_panel((), PanelQuery(), today=date(2026, 3, 1), pinned_ids=(), link_for=lambda invoice: "",
                       fetched_at=None)
    with app.test_request_context():
        tabs = render_template_string('{% include "panel/_views.html" %}', page=page)
        form = render_template_string('{% include "panel/_filters.html" %}', page=page)
    sent = set(json.loads(re.search(r"hx-vals='([^']*)'", tabs).group(1))) | set(re.findall(r'name="(\w+)"', form))
    clicked = urlsplit(TAB_CLICK.format(view="paid"))
    assert clicked.path == "/panel/invoices"
    assert set(parse_qs(clicked.query, keep_blank_values=True)) == sent - {"dates_flagged"}


def test_the_share_of_time_the_host_took_is_read_from_proc_stat_deltas():
    before = [100, 0, 50, 800, 0, 0, 0, 10, 0, 0]
    after = [160, 0, 70, 900, 0, 0, 0, 30, 0, 0]  # 200 ticks in all, 20 of them stolen
    assert _stolen_share(before, after) == 0.1
    assert _stolen_share(None, after) is None


def test_percentiles_of_samples():
    assert _percentiles([0.001 * n for n in range(1, 101)]) == {"p50_ms": 50.5, "p95_ms": 96.0}


def test_serve_refuses_several_workers_without_a_shared_store(tmp_path, monkeypatch, capsys):
    """Without REDIS_URL each worker would keep its own single-use markers (and budget): refuse to start."""
    config = {"XERO_MODE": "emulator", "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite"}
    [problem] = serve.refusals(config, workers=2)
    assert "XERO_PANEL_REDIS_URL" in problem and "--workers 1" in problem
    assert serve.refusals(config, workers=1) == []
    assert serve.refusals({**config, "REDIS_URL": "redis://127.0.0.1:6379/0"}, workers=4) == []

    started = []
    monkeypatch.setattr(PanelApplication, "run", lambda self: started.append(self))
    app = create_app({"TESTING": True, **config})
    assert serve.run(lambda _config: app, gunicorn_options(bind="127.0.0.1:0", workers=3)) == 2
    assert started == [] and "refuses to start" in capsys.readouterr().err
