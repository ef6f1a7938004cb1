"""Who may do what, through the HTTP surface: CSRF (the session header and nothing else), members kept out of
admin routes, one account never reaching another's records, pins, links or admin pages."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from plugin.embed.session import ADMIN_ONLY_MESSAGE
from plugin.storage import RecordKey, get_database
from tests.security.conftest import PanelActions, contact_record, gives_nothing_away, text_of
from tests.security.routes import admin_session_routes, session_routes


@pytest.fixture
def rep(panel, customer):
    panel.open(contact_record(customer))
    assert panel.session
    return panel


@pytest.fixture
def admin_rep(panel_app, clock, emulator, customer):
    actions = PanelActions(panel_app, clock, emulator)
    actions.open(contact_record(customer), role="admin")
    return actions


# --- CSRF: the header, and nothing a browser sends on its own ------------------------------------------------


def test_every_follow_up_route_is_checked(panel_app):
    paths = {path for _, path, _ in session_routes(panel_app)}
    assert {"/panel/pins/sample-invoice_id", "/panel/link", "/panel/unlink", "/admin/save"} <= paths


def test_no_follow_up_works_without_the_session_header(rep):
    for method, path, _ in session_routes(rep.app):
        response = rep.client.open(path, method=method, headers={"HX-Request": "true"})
        assert response.status_code == 401, (method, path)
        gives_nothing_away(response)


@pytest.mark.parametrize("carrier", ["cookie", "form field", "query string"])
def test_the_session_is_not_accepted_from_anything_a_foreign_page_can_make_a_browser_send(rep, carrier):
    for method, path, _ in session_routes(rep.app):
        options: dict = {"method": method}
        if carrier == "cookie":
            rep.client.set_cookie("X-Panel-Session", rep.session)
        elif carrier == "form field":
            options["data"] = {"X-Panel-Session": rep.session, "session": rep.session}
        else:
            options["query_string"] = {"X-Panel-Session": rep.session, "session": rep.session}
        response = rep.client.open(path, **options)
        assert response.status_code == 401, (carrier, method, path)
    rep.client.delete_cookie("X-Panel-Session")


def test_pin_and_link_posts_without_the_header_change_nothing(rep, customer, connected):
    rep.client.post("/panel/pins/inv-csrf")
    rep.client.post("/panel/link", data={"contact_id": customer["contact_id"]})
    record = contact_record(customer)
    key = RecordKey(record["type"], record["id"])
    db = get_database(rep.app)
    assert db.pins.for_record("acct-1", key, connected["tenant_id"]) == []
    assert db.contact_links.get("acct-1", key, connected["tenant_id"]) is None


# --- members on admin routes ---------------------------------------------------------------------------------


def test_a_member_is_refused_on_the_admin_page(panel):
    context = panel.context({"type": "contact", "id": "42"}, role="member")
    response = panel.client.get("/admin", query_string={"context": context})
    assert response.status_code == 403
    assert ADMIN_ONLY_MESSAGE in text_of(response)
    gives_nothing_away(response)


def test_a_members_panel_session_is_refused_on_every_admin_route(rep):
    routes = admin_session_routes(rep.app)
    assert len(routes) >= 6
    for method, path, _ in routes:
        response = rep.client.open(path, method=method, headers={"X-Panel-Session": rep.session})
        assert response.status_code == 403, (method, path)
        assert ADMIN_ONLY_MESSAGE in text_of(response)


# --- one account, never another's ----------------------------------------------------------------------------


def tampered_session(token: str, **claims) -> str:
    """The session's payload edited, its timestamp and signature kept (itsdangerous: payload.timestamp.signature;
    a payload starting with "." is zlib-compressed)."""
    payload, timestamp, signature = token.rsplit(".", 2)
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    decoded = json.loads(zlib.decompress(raw) if payload.startswith(".") else raw)
    decoded.update(claims)
    edited = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{edited}.{timestamp}.{signature}"


def test_a_session_edited_to_name_another_account_is_refused(rep, other_account):
    forged = tampered_session(rep.session, account="acct-2")
    for method, path, _ in session_routes(rep.app):
        response = rep.client.open(path, method=method, headers={"X-Panel-Session": forged})
        assert response.status_code == 401, (method, path)


def test_parameters_naming_another_account_are_ignored(rep, other_account, emulator):
    other_org = other_account["name"]
    response = rep.get("/panel/invoices", view="paid", account="acct-2", tenant=other_account["tenant_id"],
                       record="contact:1", tenant_id=other_account["tenant_id"])
    assert response.status_code == 200
    assert other_org not in text_of(response)


def test_pins_of_another_account_on_the_same_record_id_are_neither_seen_nor_touched(
        panel_app, clock, emulator, rep, customer, connected, other_account):
    record = contact_record(customer)
    key = RecordKey(record["type"], record["id"])
    db = get_database(panel_app)
    db.pins.pin("acct-2", key, other_account["tenant_id"], "inv-of-b")  # acct-2's pin on the same record id
    other = PanelActions(panel_app, clock, emulator)
    other.open(record, account="acct-2")
    assert "inv-of-b" not in other.get("/panel/invoices", view="pinned").get_data(as_text=True)
    mine = rep.post("/panel/pins/inv-of-b", account="acct-2")  # acct-1, whatever the form says: not its invoice
    assert mine.status_code == 200 and "isn't one of this customer's invoices" in text_of(mine)
    rep.post("/panel/pins/inv-of-b", pinned="false", account="acct-2")  # unpinning touches acct-1 only
    assert [p.invoice_id for p in db.pins.for_record("acct-2", key, other_account["tenant_id"])] == ["inv-of-b"]
    assert db.pins.for_record("acct-1", key, connected["tenant_id"]) == []


def test_linking_a_contact_of_another_accounts_organisation_is_refused(rep, customer, connected, other_account,
                                                                      emulator):
    foreign_contact = emulator.state.customers(other_account["tenant_id"])[0]["contact_id"]
    response = rep.post("/panel/link", contact_id=foreign_contact)
    assert response.status_code == 200
    record = contact_record(customer)
    key = RecordKey(record["type"], record["id"])
    assert get_database(rep.app).contact_links.get("acct-1", key, connected["tenant_id"]) is None


def test_an_admin_sees_and_removes_only_their_own_accounts_connection(admin_rep, connected, other_account):
    diagnostics = text_of(admin_rep.get("/admin/diagnostics"))
    assert connected["name"] in diagnostics and other_account["name"] not in diagnostics
    assert admin_rep.post("/admin/remove").status_code == 200
    connections = get_database(admin_rep.app).connections
    assert connections.get("acct-1") is None or not connections.get("acct-1").is_active
    assert connections.get("acct-2").is_active, "account B's connection is untouched"


def test_a_signed_change_poll_cannot_be_aimed_at_another_organisation(rep, connected, other_account, customer):
    from plugin.panel.changes import version_poll_url

    with rep.app.test_request_context():
        url = version_poll_url(connected["tenant_id"], customer["contact_id"], rep.clock.now())
    aimed = url.replace(connected["tenant_id"], other_account["tenant_id"])
    assert rep.client.get(url).status_code in (200, 204)
    assert rep.client.get(aimed).status_code == 403
