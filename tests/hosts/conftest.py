"""The Pipedrive world for host tests: the session's Xero emulator, the panel as a Pipedrive app, and the dev kit's
Pipedrive, each on a loopback port. Pipedrive tokens are signed here with PyJWT (independent of the product)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import jwt
import pytest
import requests

from devkit.pipedrive import start_pipedrive_world
from devkit.pipedrive.state import ACME_ID, ADMIN_ID, GLOBEX_ID, REP_ID
from plugin.services import services
from plugin.storage import get_database
from plugin.xero.parse import parse_token_set

SESSION_PATTERN = re.compile(r"hx-headers='([^']*)'")


@pytest.fixture
def world(emulator, clock, tmp_path):
    started = start_pipedrive_world(emulator=(emulator.url, emulator.state), clock=clock, data_dir=tmp_path,
                                    panel_config={"SECRET_KEY": "hosts-tests-secret-key", "TESTING": True})
    yield started
    started.stop()


def install(world, *, company_id: int = ACME_ID, user_id: int = ADMIN_ID) -> requests.Response:
    """The Marketplace install as a browser does it: our /install, Pipedrive's consent, Allow, our callback."""
    browser = requests.Session()
    browser.cookies.set("pd_user", f"{company_id}:{user_id}")
    start = browser.get(world.panel_url + "/hosts/pipedrive/install", allow_redirects=False)
    assert start.status_code == 303
    consent = browser.get(start.headers["Location"])
    assert consent.status_code == 200
    form = dict(re.findall(r'name="(client_id|redirect_uri|state)" value="([^"]*)"', consent.text))
    return browser.post(world.pipedrive_url + "/oauth/authorize", data={**form, "answer": "allow"})


def connect_xero(world, account: str = f"pipedrive:{ACME_ID}") -> dict:
    """Xero connected and saved for the account, as the admin flow leaves it."""
    state = world.emulator_state
    tenant = state.tenants[0]
    tokens = parse_token_set(state.issue_token_set(), services(world.panel_app).clock.now())
    connections = get_database(world.panel_app).connections
    connections.store_consent(account, tokens, connected_by_email="demo@example.com")
    connections.choose_tenant(account, tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate(account)
    return tenant


def sign(world, *, company_id: int = ACME_ID, user_id: int = REP_ID, secret: str | None = None, **claims) -> str:
    now = int(services(world.panel_app).clock.now().timestamp())
    body = {"userId": user_id, "companyId": company_id, "iat": now, "exp": now + 300, **claims}
    return jwt.encode(body, secret or world.pipedrive.app.signing_secret, algorithm="HS256")


def panel_query(world, resource: str, record_id: int, *, company_id: int = ACME_ID, user_id: int = REP_ID,
                token: str | None = None, **extra) -> str:
    query = {"id": "frame-1", "userId": user_id, "companyId": company_id,
             "token": token or sign(world, company_id=company_id, user_id=user_id), "resource": resource,
             "view": "details", "selectedIds": record_id, "theme": "light", **extra}
    return "/hosts/pipedrive/panel?" + urlencode(query)


class Frame:
    """What Pipedrive's iframe does: GET our panel URL and follow the hand-over redirect."""

    def __init__(self, world) -> None:
        self.world = world
        self.client = world.panel_app.test_client()
        self.session = ""

    def open(self, url: str):
        first = self.client.get(url)
        if first.status_code != 303:
            return first
        response = self.client.get(first.headers["Location"])
        found = SESSION_PATTERN.search(response.get_data(as_text=True))
        self.session = unescape(found.group(1)).split('"X-Panel-Session": "')[1].split('"')[0] if found else ""
        return response


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def frame(world) -> Frame:
    return Frame(world)


__all__ = ["ACME_ID", "ADMIN_ID", "GLOBEX_ID", "REP_ID"]
