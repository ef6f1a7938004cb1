"""GET /metrics: off without METRICS_TOKEN, bearer token only, and figures that prometheus-client's own parser
reads and that move when the panel works (a cold view is one Xero call, a warm one a cache hit, ...)."""

from __future__ import annotations

import json
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from plugin import create_app
from plugin.runtime import metrics
from plugin.runtime.budget import Limits, LocalBudgetStore, RateBudget
from plugin.xero.errors import RateLimited
from plugin.xero.webhooks import sign
from tests.panel.conftest import contact_record, text_of
from tests.web.conftest import METRICS_TOKEN

FAMILIES = {
    "xero_panel_xero_calls": "counter",
    "xero_panel_xero_call_seconds": "histogram",
    "xero_panel_xero_in_flight": "gauge",
    "xero_panel_budget_remaining": "gauge",
    "xero_panel_budget_waits": "counter",
    "xero_panel_budget_wait_seconds": "counter",
    "xero_panel_budget_refusals": "counter",
    "xero_panel_cache_lookups": "counter",
    "xero_panel_render_seconds": "histogram",
    "xero_panel_webhook_deliveries": "counter",
    "xero_panel_webhook_events": "counter",
    "xero_panel_refused_views": "counter",
}
AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def scrape(client) -> dict:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(response.get_data(as_text=True))}


def value(families: dict, sample: str, **labels: str) -> float:
    """The sum of the samples called `sample` whose labels include `labels` (0 when there is none yet)."""
    family = families.get(sample.removesuffix("_total").removesuffix("_count").removesuffix("_sum"))
    if family is None:
        return 0.0
    return sum(s.value for s in family.samples
               if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()))


# --- access ---------------------------------------------------------------------------------------------------


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("authorization", [
    None,
    "Bearer wrong-token",
    f"Bearer {METRICS_TOKEN}x",
    f"Basic {METRICS_TOKEN}",
    METRICS_TOKEN,
    "Bearer tōken-ünicode",
])
def test_metrics_need_the_bearer_token(panel_app, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = panel_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"xero_panel" not in response.data


def test_the_token_opens_the_metrics_and_every_family_is_there(panel_app):
    families = scrape(panel_app.test_client())
    assert {name: families[name].type for name in FAMILIES} == FAMILIES


# --- what the panel's work shows ------------------------------------------------------------------------------


def test_a_cold_panel_view_counts_one_xero_call(panel, customer, clock, tenant):
    scraper = panel.app.test_client()
    panel.open(contact_record(customer))
    before = scrape(scraper)
    panel.emulator.state.reset_call_counts()

    clock.advance(61)  # past CACHE_TTL: the follow-up (fresh=1) asks Xero, once
    assert panel.get("/panel/invoices", view="open", fresh="1").status_code == 200
    after = scrape(scraper)

    assert panel.calls() == 1
    calls = "xero_panel_xero_calls_total"
    assert value(after, calls, operation="Invoices", outcome="ok") - value(before, calls, operation="Invoices",
                                                                          outcome="ok") == 1
    assert value(after, calls) - value(before, calls) == 1
    seconds = "xero_panel_xero_call_seconds_count"
    assert value(after, seconds, operation="Invoices") - value(before, seconds, operation="Invoices") == 1
    renders = "xero_panel_render_seconds_count"
    assert value(after, renders, view="invoices") - value(before, renders, view="invoices") == 1
    # What Xero's X-MinLimit-Remaining / X-DayLimit-Remaining said for this organisation.
    assert 0 < value(after, "xero_panel_budget_remaining", tenant=tenant["tenant_id"], window="minute") < 60
    assert 0 < value(after, "xero_panel_budget_remaining", tenant=tenant["tenant_id"], window="day") < 5000
    assert value(after, "xero_panel_xero_in_flight", tenant=tenant["tenant_id"]) == 0


def test_a_warm_view_counts_a_cache_hit_and_no_xero_call(panel, customer):
    scraper = panel.app.test_client()
    panel.open(contact_record(customer))
    before = scrape(scraper)
    panel.get("/panel/invoices", view="paid")
    after = scrape(scraper)
    hits = "xero_panel_cache_lookups_total"
    assert value(after, hits, result="hit") - value(before, hits, result="hit") == 1
    assert value(after, hits, result="miss") == value(before, hits, result="miss")
    assert value(after, "xero_panel_xero_calls_total") == value(before, "xero_panel_xero_calls_total")


def test_a_view_refused_for_the_rate_limit_is_counted(panel, customer, clock, tenant):
    scraper = panel.app.test_client()
    panel.open(contact_record(customer))
    panel.emulator.state.exhaust_limit(tenant["tenant_id"], "minute")
    before = scrape(scraper)
    clock.advance(61)
    response = panel.get("/panel/invoices", view="open", fresh="1")
    assert "Xero is busy" in text_of(response)
    after = scrape(scraper)
    refused = "xero_panel_refused_views_total"
    assert value(after, refused, problem="minute") - value(before, refused, problem="minute") == 1
    calls = "xero_panel_xero_calls_total"
    assert value(after, calls, outcome="rate_limited") - value(before, calls, outcome="rate_limited") == 1


def test_webhook_deliveries_and_events_are_counted(tmp_path, clock):
    key = "webhook-key-for-metrics-tests"
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
                      "WEBHOOK_KEY": key, "METRICS_TOKEN": METRICS_TOKEN})
    client = app.test_client()
    body = json.dumps({"events": [{
        "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/33333333-3333-3333-3333-333333333333",
        "resourceId": "33333333-3333-3333-3333-333333333333", "eventDateUtc": "2026-03-01T09:00:00.000",
        "eventType": "UPDATE", "eventCategory": "INVOICE", "tenantId": "11111111-1111-1111-1111-111111111111",
        "tenantType": "ORGANISATION"}], "firstEventSequence": 1, "lastEventSequence": 1,
        "entropy": "QWERTYUIOP"}).encode()
    before = scrape(client)
    assert client.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(body, key)}).status_code == 200
    assert client.post("/webhooks/xero", data=body, headers={"x-xero-signature": "forged"}).status_code == 401
    after = scrape(client)

    def grew(sample: str, **labels: str) -> float:
        return value(after, sample, **labels) - value(before, sample, **labels)

    assert grew("xero_panel_webhook_events_total", category="INVOICE", type="UPDATE") == 1
    assert grew("xero_panel_webhook_deliveries_total", result="applied") == 1
    assert grew("xero_panel_webhook_deliveries_total", result="bad_signature") == 1


def test_budget_in_flight_waits_and_refusals_are_counted(clock):
    tenant = f"tenant-{uuid.uuid4()}"
    budget = RateBudget(LocalBudgetStore(), clock=clock, limits=Limits(concurrent=1, per_minute=2, per_day=100),
                        wait_for_slot=0.2, poll=0.05)

    def now() -> dict:
        return {family.name: family for family in text_string_to_metric_families(metrics.exposition()[0].decode())}

    before = now()
    with budget.slot(tenant):
        assert value(now(), "xero_panel_xero_in_flight", tenant=tenant) == 1
        with pytest.raises(RateLimited), budget.slot(tenant):  # the one slot is taken: waits 0.2 s, then refused
            pass
    with budget.slot(tenant):  # the minute's second call
        pass
    with pytest.raises(RateLimited), budget.slot(tenant):  # the minute is spent
        pass
    after = now()

    def grew(sample: str, **labels: str) -> float:
        return value(after, sample, **labels) - value(before, sample, **labels)

    assert value(after, "xero_panel_xero_in_flight", tenant=tenant) == 0
    assert grew("xero_panel_budget_waits_total", outcome="refused") == 1
    assert grew("xero_panel_budget_wait_seconds_total", outcome="refused") == pytest.approx(0.2)
    assert grew("xero_panel_budget_refusals_total", problem="concurrent") == 1
    assert grew("xero_panel_budget_refusals_total", problem="minute") == 1
    assert value(after, "xero_panel_budget_remaining", tenant=tenant, window="minute") == 0
