"""The demo CRM frames the panel from another origin with a freshly signed context for the record and user."""

from __future__ import annotations

import argparse
import socket
from urllib.parse import parse_qs, urlsplit

import requests

from devkit.democrm.app import IFRAME_SANDBOX
from devkit.democrm.launcher import run
from plugin.embed.context import verify_context

from .conftest import element


class SeenOnce:
    """The replay guard verify_context wants; each page view's context is fresh, so each is new here."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first_use(self, jti: str, expires_at) -> bool:
        fresh = jti not in self.seen
        self.seen.add(jti)
        return fresh


def framed_context(demo, clock, html: str, frame_id: str = "xero-panel-frame"):
    frame = element(html, frame_id)
    assert frame is not None, f"no #{frame_id} on the page"
    src = urlsplit(frame["src"])
    token = parse_qs(src.query)["context"][0]
    context = verify_context(token, secret=demo.context_secret, issuer=demo.panel_app.config["CONTEXT_ISSUER"],
                             audience=demo.panel_app.config["CONTEXT_AUDIENCE"], clock=clock,
                             replay_guard=SeenOnce())
    return f"{src.scheme}://{src.netloc}", src.path, context


def test_three_apps_answer_on_three_loopback_origins(demo):
    origins = {demo.emulator_url, demo.panel_url, demo.crm_url}
    assert len(origins) == 3 and all(url.startswith("http://127.0.0.1:") for url in origins)
    assert requests.get(f"{demo.panel_url}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{demo.crm_url}/healthz", timeout=5).json() == {"status": "ok"}


def test_crm_lists_contacts_accounts_and_deals_from_the_emulators_customers(demo, crm):
    customer = demo.emulator_state.customers()[0]
    for kind in ("contacts", "accounts", "deals"):
        page = crm.get(f"/{kind}")
        assert page.status_code == 200
        assert element(page.text, f"{kind}-table") is not None
    assert customer["name"] in crm.get("/accounts").text.replace("&amp;", "&")


def test_contact_page_frames_the_panel_origin_with_a_context_for_that_contact_and_user(demo, demo_clock, crm):
    contact = demo.directory.contacts[0]
    page = crm.get(f"/contacts/{contact.id}?as=rep")
    origin, path, context = framed_context(demo, demo_clock, page.text)
    assert (origin, path) == (demo.panel_url, "/panel")
    assert (context.record.type, context.record.id, context.record.email) == ("contact", contact.id, contact.email)
    assert context.record.company == contact.company
    assert context.account_id == demo.account_id
    assert (context.user.id, context.user.role, context.user.is_admin) == ("rep", "member", False)


def test_deal_context_carries_its_account_and_contact(demo, demo_clock, crm):
    deal = demo.directory.deals[0]
    _, _, context = framed_context(demo, demo_clock, crm.get(f"/deals/{deal.id}").text)
    assert context.record.type == "deal"
    assert context.record.account.id == deal.account.id
    assert context.record.contact.email == deal.contact.email


def test_account_context_names_the_company(demo, demo_clock, crm):
    account = demo.directory.accounts[0]
    _, _, context = framed_context(demo, demo_clock, crm.get(f"/accounts/{account.id}").text)
    assert (context.record.type, context.record.company) == ("account", account.name)


def test_every_page_view_signs_a_new_context(demo, demo_clock, crm):
    first = framed_context(demo, demo_clock, crm.get("/contacts/1").text)[2]
    second = framed_context(demo, demo_clock, crm.get("/contacts/1").text)[2]
    assert first.jti != second.jti


def test_crm_pages_are_not_kept_so_back_and_reload_sign_a_new_context(crm):
    assert crm.get("/contacts/1").headers["Cache-Control"] == "no-store"


def test_the_iframe_is_sandboxed_to_scripts_forms_and_escaping_popups(crm):
    frame = element(crm.get("/contacts/1").text, "xero-panel-frame")
    assert set(frame["sandbox"].split()) == set(IFRAME_SANDBOX.split()) == {
        "allow-scripts", "allow-same-origin", "allow-popups", "allow-forms", "allow-popups-to-escape-sandbox"}
    assert frame["title"].startswith("Xero invoices")


def test_switching_to_the_rep_and_back_changes_the_role_in_the_context(demo, demo_clock, crm):
    assert framed_context(demo, demo_clock, crm.get("/contacts/1").text)[2].user.role == "admin"
    switched = crm.post("/switch-user", data={"user": "rep", "next": "/contacts/1"})
    assert switched.status_code == 302 and switched.location.endswith("/contacts/1")
    assert framed_context(demo, demo_clock, crm.get("/contacts/1").text)[2].user.role == "member"
    crm.post("/switch-user", data={"user": "admin", "next": "/"})
    assert framed_context(demo, demo_clock, crm.get("/contacts/1").text)[2].user.is_admin


def test_a_user_picked_by_query_is_remembered(demo, demo_clock, crm):
    crm.get("/?as=rep")
    assert framed_context(demo, demo_clock, crm.get("/contacts/1").text)[2].user.id == "rep"


def test_switching_user_never_redirects_off_the_crm(crm):
    assert crm.post("/switch-user", data={"user": "rep", "next": "https://evil.example/"}).location == "/"
    assert crm.post("/switch-user", data={"user": "rep", "next": "//evil.example/x"}).location == "/"
    assert crm.post("/switch-user", data={"user": "nobody"}).status_code == 400


def test_admin_integrations_page_frames_the_panels_admin_page(demo, demo_clock, crm):
    assert element(crm.get("/settings/integrations").text, "integration-xero")["href"] == "/settings/integrations/xero"
    origin, path, context = framed_context(demo, demo_clock, crm.get("/settings/integrations/xero").text,
                                           "xero-admin-frame")
    assert (origin, path, context.user.role) == (demo.panel_url, "/admin", "admin")
    assert context.record.id == demo.account_id  # the workspace: the format requires a record


def test_a_rep_is_told_only_admins_manage_integrations(crm):
    page = crm.get("/settings/integrations/xero?as=rep").text
    assert element(page, "xero-admin-frame") is None
    assert element(page, "admin-only-notice") is not None


def test_html_looking_names_show_as_text_on_crm_pages(crm):
    page = crm.get("/accounts").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_records_are_not_found(crm):
    assert crm.get("/contacts/9999").status_code == 404


def test_the_launcher_prints_the_crm_url_and_what_to_click(capsys):
    answers: list[int] = []

    def visit(handle) -> None:
        answers.append(requests.get(f"{handle.crm_url}/contacts", timeout=5).status_code)

    args = argparse.Namespace(emulator_port=0, panel_port=0, crm_port=0, seed=1)
    assert run(args, until=visit) == 0
    out = capsys.readouterr().out
    assert answers == [200]
    assert "Open the demo CRM:  http://127.0.0.1:" in out
    assert "demo@example.com" in out and "Connect to Xero" in out


def test_the_launcher_says_which_ports_to_change_when_one_is_busy(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        args = argparse.Namespace(emulator_port=0, panel_port=busy.getsockname()[1], crm_port=0, seed=1)
        assert run(args, until=lambda handle: None) == 1
    assert "--panel-port" in capsys.readouterr().err


def test_the_demo_turns_webhooks_on_so_changes_in_the_emulator_reach_the_panel(demo, demo_clock):
    from plugin.services import services

    state = demo.emulator_state
    assert state.webhook.url == f"{demo.panel_url}/webhooks/xero"
    assert state.webhook.key and state.webhook.key == demo.panel_app.config["WEBHOOK_KEY"]
    tenant_id = demo.emulator_state.tenants[0]["tenant_id"]
    contact_id = state.customers(tenant_id)[0]["contact_id"]
    with demo.panel_app.app_context():
        before = demo_clock.now()
    demo_clock.advance(1)
    state.create_invoice(tenant_id, contact_id, amount="12.00")
    assert state.webhook_deliveries[-1]["status"] == 200, "signed with the key the panel checks"
    with demo.panel_app.app_context():
        assert services().changes.changed_after(tenant_id, contact_id, before)
