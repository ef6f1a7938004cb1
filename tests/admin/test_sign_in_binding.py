"""The Xero sign-in is bound to the browser that pressed Continue: a first-party cookie set on the sign-in
window, whose hash is kept with the pending sign-in and checked at the callback. A forwarded authorize link
connects nothing and says so."""

from __future__ import annotations

import hashlib

from plugin import create_app
from plugin.admin.oauth_state import PendingSignIn, claim_sign_in
from plugin.admin.tickets import issue_ticket
from plugin.storage import get_database
from tests.admin.conftest import DEMO_PASSWORD, SignIn

COOKIE = "xero_panel_sign_in"


def test_a_forwarded_authorize_link_connects_nothing_and_says_so(panel_server, emulator, admin):
    admin.open()
    start = admin.continue_to_xero(admin.sign_in_url())
    assert start.status_code == 303
    authorize_url = start.headers["Location"]

    someone_else = panel_server.admin(emulator, account="acct-other")  # another browser, no cookie of ours
    page = someone_else.window.get(authorize_url, timeout=10)
    page = someone_else._submit_sign_in(page, DEMO_PASSWORD)
    callback_url = someone_else._submit_consent(page, None)
    answer = someone_else.finish(SignIn(callback_url))

    assert answer.status_code == 400
    assert "another browser" in answer.text and "nothing was connected" in answer.text
    with panel_server.app.app_context():
        assert get_database().connections.get("acct-1") is None


def test_the_browser_that_pressed_continue_finishes_the_sign_in(panel_server, emulator, admin):
    admin.open()
    done = admin.connect()
    assert done.status_code == 200 and "You can close this window" in done.text
    assert COOKIE not in admin.window.cookies.get_dict(), "the cookie is cleared once it has been checked"


def test_the_cookie_is_first_party_http_only_lax_and_secure_on_https(tmp_path, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
                      "PUBLIC_URL": "https://panel.example", "SECRET_KEY": "binding-tests-secret-key-0123"})
    with app.app_context():
        ticket = issue_ticket(account_id="acct-1", user_id="u1", user_email="a@crm.test",
                              secret=app.config["SECRET_KEY"], clock=clock)
    answer = app.test_client().post("/admin/connect/start", data={"ticket": ticket},
                                    base_url="https://panel.example")
    assert answer.status_code == 303
    [cookie] = [value for name, value in answer.headers.items() if name == "Set-Cookie"]
    assert cookie.startswith(COOKIE + "=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite"} <= attributes and "SameSite=Lax" in cookie
    assert "Path=/admin/oauth" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    state = answer.headers["Location"].split("state=")[1].split("&")[0]
    with app.app_context():
        pending = claim_sign_in(state)
    assert isinstance(pending, PendingSignIn)
    assert pending.browser_hash == hashlib.sha256(value.encode()).hexdigest() and value not in pending.browser_hash
