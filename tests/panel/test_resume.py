"""No dead ends: /panel with no query is the small page that resumes from the URL fragment; /panel/resume answers
with the panel for a session sent in the X-Panel-Session header, and refuses anything else."""

from __future__ import annotations

from tests.panel.conftest import contact_record, text_of


def test_panel_without_a_query_is_the_page_that_resumes_from_the_fragment(panel):
    response = panel.client.get("/panel")
    body = text_of(response)
    assert response.status_code == 200
    assert "data-panel-resume" in body and 'hx-get="/panel/resume"' in body
    assert "X-Panel-Session" not in body and "no-store" in response.headers["Cache-Control"]


def test_an_empty_or_bad_context_is_still_refused(panel):
    assert panel.client.get("/panel", query_string={"context": ""}).status_code == 401


def test_resume_shows_the_panel_for_the_session_in_the_header(panel, connected, customer):
    panel.open(contact_record(customer))
    resumed = panel.get("/panel/resume")
    assert resumed.status_code == 200
    body = text_of(resumed)
    assert customer["name"] in body and 'id="panel"' in body and 'hx-trigger="every 4m"' in body
    assert "<html" not in body  # swapped into the small page's body


def test_resume_refuses_a_missing_or_forged_session(panel, connected, customer):
    panel.open(contact_record(customer))
    assert panel.client.get("/panel/resume", headers={"HX-Request": "true"}).status_code == 401
    forged = panel.client.get("/panel/resume", headers={"HX-Request": "true", "X-Panel-Session": "x.y.z"})
    assert forged.status_code == 401
    assert panel.client.get("/panel/resume", query_string={"s": panel.session}).status_code == 401  # never a query


def test_a_cold_first_load_in_a_browser_frame_comes_at_once_and_fetches_the_panel_through_htmx(panel, connected,
                                                                                              customer):
    framed = {"Sec-Fetch-Dest": "iframe"}
    record = contact_record(customer)
    cold = panel.client.get("/panel", query_string={"context": panel.context(record)}, headers=framed)
    body = text_of(cold)
    assert cold.status_code == 200 and panel.calls() == 0, "nothing asked of Xero yet"
    assert 'hx-get="/panel/invoices"' in body and "Still waiting for Xero…" in body and "data-session-fragment" in body
    warm_data = panel.open(record)  # a client that is no frame gets the panel in one answer (and warms the cache)
    assert customer["name"] in text_of(warm_data)
    warm = panel.client.get("/panel", query_string={"context": panel.context(record)}, headers=framed)
    assert 'id="rows"' in text_of(warm), "a warm view is shown at once, in the first answer"
