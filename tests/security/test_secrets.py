"""Secrets over a whole session, served on 127.0.0.1: an admin connects Xero (sign-in, consent, callback,
Save), then a rep's panel loads, switches views, refreshes, pins. Xero's tokens, our keys and the panel
session never show up in a log record, a page, a header or a URL; the CRM context only in the first load's
own address; tokens in the database only encrypted."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import requests

from plugin.settings import EMULATOR_CLIENT_SECRET
from plugin.storage import get_database
from tests.admin.conftest import admin, panel_server  # noqa: F401  (fixtures)

URL_ATTRIBUTES = re.compile(r'(?:href|src|action|hx-get|hx-post|data-sign-in-url)="([^"]*)"')


class Witness:
    """Everything the session showed the outside world: pages, headers, addresses."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.urls: list[str] = []
        self.headers: list[str] = []

    def saw(self, response: requests.Response, *, first_load: bool = False) -> requests.Response:
        for hop in [*response.history, response]:
            self.headers.append(str(dict(hop.headers)))
            if not first_load:
                self.urls.append(hop.url)
        self.pages.append(response.text)
        self.urls.extend(URL_ATTRIBUTES.findall(response.text))
        return response


def test_no_secret_leaks_over_a_whole_connect_and_panel_session(panel_server, admin, emulator, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    seen = Witness()
    context = admin.context()
    seen.saw(admin.open(context), first_load=True)
    seen.saw(admin.connect())
    seen.saw(admin.post("/admin/save"))
    seen.saw(admin.get("/admin/diagnostics"))
    first_tokens = get_database(panel_server.app).connections.tokens("acct-1")

    rep_context = admin.context(user={"id": "u9", "email": "rep@crm.test", "name": "Rep", "role": "member"},
                                record={"type": "contact", "id": "7", "email": customer_email(emulator)})
    page = seen.saw(admin.page.get(f"{admin.panel_url}/panel", params={"context": rep_context}, timeout=10),
                    first_load=True)
    admin.session_token = re.search(r'"X-Panel-Session": "([^"]+)"', page.text.replace("&#34;", '"'))[1]
    assert 'id="panel"' in page.text and 'id="rows"' in page.text  # the panel and its list (whatever the view holds)
    for view in ("paid", "unpaid", "pinned"):
        seen.saw(admin.get("/panel/invoices", view=view))
    seen.saw(admin.post("/panel/refresh"))
    seen.saw(admin.post("/panel/pins/some-invoice"))

    tokens = get_database(panel_server.app).connections.tokens("acct-1")
    app = panel_server.app
    secrets = {
        "access token": first_tokens.access_token, "refresh token": first_tokens.refresh_token,
        "rotated access token": tokens.access_token, "rotated refresh token": tokens.refresh_token,
        "client secret": EMULATOR_CLIENT_SECRET, "context secret": app.config["CONTEXT_SECRET"],
        "secret key": app.config["SECRET_KEY"], "token key": (Path(app.instance_path) / "token_key").read_text(),
    }
    logs = "\n".join(record.getMessage() for record in caplog.records)
    everything = {"logs": logs, "pages": "\n".join(seen.pages), "headers": "\n".join(seen.headers),
                  "urls": "\n".join(seen.urls)}
    for name, secret in secrets.items():
        for where, text in everything.items():
            assert secret.strip() not in text, f"the {name} appears in {where}"

    session = admin.session_token
    assert session not in everything["urls"] and session not in logs, "the panel session travels in a header only"
    # The test server's access log (werkzeug) and the test's HTTP client (urllib3) print request lines;
    # production runs gunicorn, whose access log format in plugin/serve.py leaves query strings out.
    # Nothing of ours logs a context.
    product_logs = "\n".join(record.getMessage() for record in caplog.records
                             if not record.name.startswith(("werkzeug", "urllib3")))
    for first_load in (context, rep_context):
        assert first_load not in everything["pages"], "a context is never written back into a page"
        assert first_load not in everything["urls"], "nor into any address after its first load"
        assert first_load not in product_logs

    raw = Path(app.extensions["storage"].engine.url.database).read_bytes()
    assert tokens.refresh_token.encode() not in raw and tokens.access_token.encode()[:40] not in raw


def customer_email(emulator) -> str:
    return emulator.state.customers(emulator.state.tenants[0]["tenant_id"])[4]["email"]
