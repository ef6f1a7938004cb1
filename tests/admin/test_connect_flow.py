"""The whole admin path against the emulator over HTTP on 127.0.0.1: context, Connect, sign-in, consent,
callback, organisation choice, Save, diagnostics, Remove and reconnect."""

from __future__ import annotations

import re
import socket
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests

from plugin.storage import get_database
from tests.admin.conftest import attribute, context_claims

STUDIO = "Kōwhai Design Studio"
JOINERY = "Thornbury Joinery"


def admin_user() -> dict:
    return context_claims()["user"]


def state_of(html: str) -> str:
    return attribute(html, "data-state")


def stored(panel_server, account: str = "acct-1"):
    with panel_server.app.app_context():
        return get_database().connections.get(account)


def stored_tokens(panel_server, account: str = "acct-1"):
    with panel_server.app.app_context():
        return get_database().connections.tokens(account)


def tenant_id_of(emulator, name: str) -> str:
    return next(tenant["tenant_id"] for tenant in emulator.state.tenants if tenant["name"] == name)


def test_the_whole_admin_path(panel_server, emulator, admin):
    assert "Connect to Xero" in admin.open().text

    done = admin.connect(tenant_names=[STUDIO, JOINERY])
    assert done.status_code == 200
    assert "You can close this window" in done.text
    assert "demo@example.com" in done.text  # who connected, from the verified id_token
    assert attribute(done.text, "data-target-origin") == panel_server.url

    section = admin.get("/admin/status")
    assert state_of(section.text) == "pending"
    assert STUDIO in section.text and "demo@example.com" in section.text
    assert stored(panel_server).status == "pending"
    with panel_server.app.app_context():
        assert get_database().connections.active_for("acct-1") is None  # reps: not set up yet

    picker = admin.get("/admin/organisations")
    assert STUDIO in picker.text and JOINERY in picker.text
    switched = admin.post("/admin/organisation", {"tenant_id": tenant_id_of(emulator, JOINERY)})
    assert JOINERY in switched.text and state_of(switched.text) == "pending"
    connection = stored(panel_server)
    assert (connection.tenant_name, connection.short_code, connection.base_currency) == (JOINERY, "!tJ4mB", "GBP")

    saved = admin.post("/admin/save")
    assert state_of(saved.text) == "active"
    assert "Saved" in saved.text
    with panel_server.app.app_context():
        assert get_database().connections.active_for("acct-1").tenant_name == JOINERY

    report = admin.get("/admin/diagnostics")
    assert report.status_code == 200
    for words in ("Live", JOINERY, "GBP", "demo@example.com", "this minute", "today", "Cache hit rate"):
        assert words in report.text, words
    tokens = stored_tokens(panel_server)
    assert tokens.access_token not in report.text and tokens.refresh_token not in report.text

    removed = admin.post("/admin/remove")
    assert state_of(removed.text) == "not_connected"
    assert "Xero is disconnected" in removed.text
    assert stored(panel_server) is None
    rep = panel_server.admin(emulator, role="member", user_id="u2")
    rep_panel = rep.page.get(f"{panel_server.url}/panel", params={"context": rep.context()}, timeout=10)
    assert "Xero isn't connected; ask an admin" in unescape(rep_panel.text)
    gone = requests.get(f"{emulator.url}/connections", headers={"Authorization": f"Bearer {tokens.access_token}"},
                        timeout=10)
    assert gone.status_code == 401 or gone.json() == []  # revoked at Xero, not only forgotten here

    again = admin.connect(tenant_names=[STUDIO])
    assert again.status_code == 200
    assert state_of(admin.get("/admin/status").text) == "pending"
    assert stored(panel_server).tenant_name == STUDIO


def test_connect_shows_a_waiting_state_that_polls_until_the_window_is_done(admin):
    admin.open()
    waiting = admin.post("/admin/connect/ticket")
    assert state_of(waiting.text) == "signing_in"
    assert 'hx-trigger="every 3s, xero-sign-in-finished from:body"' in waiting.text
    started = parse_qs(urlsplit(attribute(waiting.text, "hx-get")).query)["started"][0]
    assert state_of(admin.get("/admin/status", started=started).text) == "signing_in"

    admin.connect()
    assert state_of(admin.get("/admin/status", started=started).text) == "pending"


def test_the_sign_in_window_pages_do_not_leak_their_url_or_stay_in_caches(admin):
    admin.open()
    link = admin.sign_in_url()
    question = admin.window.get(link, allow_redirects=False, timeout=10)
    start = admin.continue_to_xero(link)
    done = admin.connect()
    for page in (question, start, done):
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
    # The only cookie: the sign-in binding, set at Continue and cleared at the callback (test_sign_in_binding.py).
    assert "Set-Cookie" not in question.headers
    assert start.headers["Set-Cookie"].startswith("xero_panel_sign_in=")
    assert done.headers["Set-Cookie"].startswith("xero_panel_sign_in=;")


def test_the_sign_in_window_pages_refuse_to_be_framed_while_the_settings_page_allows_the_crm(admin):
    page = admin.open()
    link = admin.sign_in_url()
    question = admin.window.get(link, allow_redirects=False, timeout=10)
    start = admin.continue_to_xero(link)
    refused = admin.window.get(f"{admin.panel_url}/admin/connect/start", params={"ticket": "forged"}, timeout=10)
    done = admin.connect()
    for window_page in (question, start, refused, done):
        assert window_page.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
        assert window_page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" not in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers


def test_the_start_page_only_ever_redirects_to_xero(admin, emulator):
    admin.open()
    url = admin.sign_in_url() + "&next=https://evil.example/&redirect_uri=https://evil.example/cb"
    start = admin.continue_to_xero(url)
    location = start.headers["Location"]
    assert location.startswith(f"{emulator.url}/identity/connect/authorize?")
    assert "evil" not in location


def test_opening_a_sign_in_link_asks_first_and_does_not_use_it_up(admin):
    """A link passed to the owner of another Xero organisation must not land them on Xero's consent."""
    admin.open()
    link = admin.sign_in_url()
    for _ in range(2):
        question = admin.window.get(link, allow_redirects=False, timeout=10)
        assert question.status_code == 200
        assert "Location" not in question.headers
        assert "Continue to Xero" in question.text
    assert admin.continue_to_xero(link).status_code == 303  # still unused after being looked at twice


def test_the_question_names_the_crm_account_and_admin_the_link_connects(panel_server, emulator):
    admin = panel_server.admin(emulator, account="acct-<b>7</b>")
    admin.open(admin.context(user={**admin_user(), "name": "Ada <i>Admin</i>", "email": "ada@crm.test"}))
    question = admin.window.get(admin.sign_in_url(), allow_redirects=False, timeout=10)
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", question.text)))
    assert "Connect Xero to acct-<b>7</b> for Ada <i>Admin</i> (ada@crm.test)." in text
    assert "Only continue if you started this from your CRM's settings." in text
    assert "<b>7</b>" not in question.text and "<i>Admin</i>" not in question.text  # escaped, not markup


def test_continue_uses_the_link_up_so_a_second_continue_is_refused(admin, emulator):
    admin.open()
    link = admin.sign_in_url()
    question = admin.window.get(link, allow_redirects=False, timeout=10)
    ticket = re.search(r'name="ticket" value="([^"]+)"', question.text).group(1)
    start_url = f"{admin.panel_url}/admin/connect/start"
    first = admin.window.post(start_url, data={"ticket": unescape(ticket)}, allow_redirects=False, timeout=10)
    assert first.status_code == 303
    assert first.headers["Location"].startswith(f"{emulator.url}/identity/connect/authorize?")
    again = admin.window.post(start_url, data={"ticket": unescape(ticket)}, allow_redirects=False, timeout=10)
    assert again.status_code == 400
    assert "already used" in again.text
    assert "Location" not in again.headers
    reopened = admin.window.get(link, allow_redirects=False, timeout=10)
    assert reopened.status_code == 400 and "already used" in reopened.text


def test_continue_posted_from_another_website_is_refused_and_leaves_the_link_unused(admin):
    """A page elsewhere holding a ticket cannot post it here itself and skip the question."""
    admin.open()
    link = admin.sign_in_url()
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        refused = admin.continue_to_xero(link, **headers)
        assert refused.status_code == 400
        assert "another website" in unescape(refused.text)
        assert "Location" not in refused.headers
    assert admin.continue_to_xero(link, **{"Sec-Fetch-Site": "same-origin", "Origin": "null"}).status_code == 303


def test_a_forged_sign_in_link_is_refused_when_opened_and_when_continued(admin):
    start_url = f"{admin.panel_url}/admin/connect/start"
    for refused in (admin.window.get(start_url, params={"ticket": "forged"}, timeout=10),
                    admin.window.post(start_url, data={"ticket": "forged"}, allow_redirects=False, timeout=10)):
        assert refused.status_code == 400
        assert "not valid" in refused.text
        assert "Location" not in refused.headers


def test_a_sign_in_link_works_once(admin):
    admin.open()
    link = admin.sign_in_url()
    assert admin.continue_to_xero(link).status_code == 303
    again = admin.window.get(link, allow_redirects=False, timeout=10)
    assert again.status_code == 400
    assert "already used" in again.text
    assert "Location" not in again.headers


def test_a_callback_with_a_state_we_did_not_issue_is_refused(panel_server, admin):
    admin.open()
    sign_in = admin.sign_in_at_xero()
    parts = urlsplit(sign_in.callback_url)
    query = parse_qs(parts.query)
    query["state"] = ["forged-state"]
    forged = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    refused = admin.window.get(forged, allow_redirects=False, timeout=10)
    assert refused.status_code == 400
    assert "unknown" in refused.text
    assert stored(panel_server) is None


def test_a_replayed_callback_and_a_replayed_code_are_refused(panel_server, admin):
    admin.open()
    first = admin.sign_in_at_xero()
    assert admin.finish(first).status_code == 200
    tokens = stored_tokens(panel_server)

    replay = admin.window.get(first.callback_url, allow_redirects=False, timeout=10)
    assert replay.status_code == 400  # the state was claimed by the first callback

    # The used code under a fresh, valid state: Xero refuses it, and nothing changes here.
    second = admin.sign_in_at_xero()
    code = parse_qs(urlsplit(first.callback_url).query)["code"][0]
    parts = urlsplit(second.callback_url)
    query = {**parse_qs(parts.query), "code": [code]}
    replayed_code = admin.window.get(urlunsplit(parts._replace(query=urlencode(query, doseq=True))),
                                     allow_redirects=False, timeout=10)
    assert replayed_code.status_code == 400
    assert "Xero did not accept this sign-in" in replayed_code.text
    assert stored_tokens(panel_server) == tokens


def test_cancelling_at_xero_connects_nothing(panel_server, admin):
    admin.open()
    sign_in = admin.sign_in_at_xero()
    parts = urlsplit(sign_in.callback_url)
    state = parse_qs(parts.query)["state"][0]
    cancelled = urlunsplit(parts._replace(query=urlencode({"error": "access_denied", "state": state})))
    page = admin.window.get(cancelled, allow_redirects=False, timeout=10)
    assert page.status_code == 400
    assert "cancelled" in page.text and "You can close this window" in page.text
    assert stored(panel_server) is None


def test_one_account_cannot_see_or_touch_another_accounts_connection(panel_server, emulator, admin):
    admin.open()
    admin.connect(tenant_names=[STUDIO, JOINERY])
    admin.post("/admin/save")

    other = panel_server.admin(emulator, account="acct-2", user_id="u9")
    page = other.open()
    assert state_of(page.text) == "not_connected"
    assert STUDIO not in page.text and "demo@example.com" not in page.text
    report = other.get("/admin/diagnostics")
    assert "Not connected" in report.text and STUDIO not in report.text
    refused = other.post("/admin/organisation", {"tenant_id": tenant_id_of(emulator, JOINERY)})
    assert state_of(refused.text) == "not_connected"
    assert "There was no Xero connection to remove." in other.post("/admin/remove").text
    assert other.get("/admin/organisations").text.count("tenant_id") == 0

    assert stored(panel_server, "acct-1").status == "active"
    assert stored(panel_server, "acct-2") is None


def test_a_broken_connection_offers_reconnect_which_restores_it(panel_server, emulator, admin):
    admin.open()
    admin.connect(tenant_names=[JOINERY])
    admin.post("/admin/save")
    with panel_server.app.app_context():
        get_database().connections.mark_needs_reconnect("acct-1", "Xero refused the stored refresh token.")

    section = admin.get("/admin/status")
    assert state_of(section.text) == "needs_reconnect"
    assert "Reconnect" in section.text and "Xero refused the stored refresh token." in section.text

    back = admin.connect(tenant_names=[JOINERY])
    assert "live again" in back.text
    assert state_of(admin.get("/admin/status").text) == "active"


def test_reconnect_from_an_admins_panel_uses_the_panel_session_and_brings_the_invoices_back(
        panel_server, emulator, admin):
    admin.open()
    admin.connect(tenant_names=[JOINERY])
    admin.post("/admin/save")
    customer = emulator.state.customers(tenant_id_of(emulator, JOINERY))[0]
    record = {"type": "contact", "id": "c-1", "name": customer["name"], "email": customer["email"]}
    panel = admin.page.get(f"{panel_server.url}/panel", params={"context": admin.context(record=record)}, timeout=10)
    with panel_server.app.app_context():
        get_database().connections.mark_needs_reconnect("acct-1", "Xero refused the stored refresh token.")

    admin.session_token = re.search(r'"X-Panel-Session": "([^"]+)"', panel.text).group(1)  # the panel's own
    broken = admin.get("/panel/invoices")
    assert "needs to be renewed" in broken.text and "Reconnect Xero" in broken.text
    admin.connect(tenant_names=[JOINERY])  # the ticket is asked for with the panel's session
    back = admin.get("/panel/invoices")
    assert "needs to be renewed" not in back.text and customer["name"] in unescape(back.text)
    assert 'id="rows"' in back.text  # the invoice views are back


def test_tokens_are_not_readable_in_the_raw_database(panel_server, admin, tmp_path):
    admin.open()
    admin.connect()
    tokens = stored_tokens(panel_server)
    raw = (tmp_path / "panel.sqlite").read_bytes() + b"".join(
        path.read_bytes() for path in tmp_path.glob("panel.sqlite-*"))
    assert tokens.access_token.encode() not in raw
    assert tokens.refresh_token.encode() not in raw


def test_the_sign_in_window_tells_only_our_own_origin(panel_server, admin):
    admin.open()
    done = admin.connect()
    assert attribute(done.text, "data-target-origin") == panel_server.url
    script = requests.get(f"{panel_server.url}/static/admin.js", timeout=10).text
    assert re.search(r"postMessage\(\{ type: FINISHED \}, targetOrigin\)", script)
    assert "event.origin !== window.location.origin" in script
    assert '"*"' not in script


def test_remove_asks_inside_the_page_first_and_cancel_puts_the_button_back(panel_server, admin):
    admin.open()
    admin.connect()
    section = admin.post("/admin/save").text
    assert "hx-confirm" not in section  # window.confirm is dropped in the CRM's sandboxed iframe
    remove = re.search(r'<button[^>]*hx-get="(/admin/remove)"[^>]*>Remove</button>', section)
    assert remove and "autofocus" not in remove.group(0)

    question = admin.get(remove.group(1)).text
    assert "Disconnect Xero? Reps will stop seeing invoices." in question
    yes = re.search(r'<button[^>]*>Yes, remove</button>', question, re.S).group(0)
    assert "autofocus" in yes and 'hx-post="/admin/remove"' in yes and 'hx-target="#xero-connection"' in yes
    assert 'role="group"' in question and "data-remove-cancel" in question
    assert stored(panel_server) is not None  # asking removes nothing

    cancel = attribute(question.split("data-remove-cancel", 1)[1], "hx-get")
    back = admin.get(cancel).text
    assert re.search(r"<button[^>]*autofocus[^>]*>Remove</button>", back, re.S)
    assert "Yes, remove" not in back and stored(panel_server) is not None

    assert state_of(admin.post("/admin/remove").text) == "not_connected"


def test_remove_forgets_the_tokens_even_when_xero_does_not_answer(panel_server, emulator, admin):
    admin.open()
    admin.connect()
    admin.post("/admin/save")
    with socket.socket() as closed:  # a port nobody listens on: Xero is unreachable
        closed.bind(("127.0.0.1", 0))
        panel_server.app.config["XERO_EMULATOR_URL"] = f"http://127.0.0.1:{closed.getsockname()[1]}"
    removed = admin.post("/admin/remove")
    assert state_of(removed.text) == "not_connected"
    assert "Xero did not confirm" in removed.text and "Connected apps" in removed.text
    assert stored(panel_server) is None
