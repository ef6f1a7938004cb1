"""The Freshworks app's serverless function, run under Node (the dev kit's fdk_runner.js, a stand-in for the FDK
serverless runtime) with its own request templates answered by the dev kit's Freshsales: it reads the record and
the user, mints our context, and that context opens the panel with the record's invoices on our side."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from devkit.freshworks import run_function, start_freshworks_world
from devkit.freshworks.smi import node_path
from devkit.freshworks.state import ADMIN_ID, LEFT_ID, REP_DE_ID, REP_ID
from plugin.domain.clock import FixedClock
from plugin.hosts.freshworks_package import write_app
from tests.conftest import TODAY
from tests.hosts.conftest import connect_xero

pytestmark = pytest.mark.skipif(not __import__("shutil").which("node"), reason="node is not installed")


@pytest.fixture(scope="module")
def world(emulator_server, tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("fw-app") / "app"
    write_app("https://panel.example.com", app_dir)  # the stand-in gives the function its own panel_url iparam
    started = start_freshworks_world(emulator=(emulator_server.url, emulator_server.state),
                                     clock=FixedClock.at(TODAY), data_dir=tmp_path_factory.mktemp("fw-data"),
                                     app_dir=app_dir, panel_config={"SECRET_KEY": "freshworks-smi-secret-key"})
    connect_xero(started, account=started.account)
    yield started
    started.stop()


def call(world, entity_type: str, entity_id, *, user_id=REP_ID, page="panel", iparams=None, **extra):
    user = world.freshsales.users.get(user_id)
    logged_in = user.logged_in_user() if user else {"id": user_id, "abilities": []}
    payload = {"page": page, "entity_type": entity_type, "entity_id": str(entity_id), "user_id": str(user_id),
               "abilities": logged_in["abilities"], "language": logged_in.get("language", "en"),
               "time_zone": logged_in.get("time_zone", ""), **extra,
               "iparams": {**world.freshsales.iparams, **(iparams or {})}}
    return run_function(world.app_dir, "panelContextUrl", payload, api_base=world.freshsales_url,
                        now=world.panel_app.config["CLOCK"].now().timestamp())


def claims_of(world, url: str) -> dict:
    token = parse_qs(urlsplit(url).query)["context"][0]
    return jwt.decode(token, world.secret, algorithms=["HS256"], audience="xero-invoice-panel",
                      options={"verify_exp": False, "verify_iat": False})


def open_panel(world, url: str):
    client = world.panel_app.test_client()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == world.panel_url
    first = client.get(f"{parts.path}?{parts.query}")
    assert first.status_code == 303, first.get_data(as_text=True)
    return client.get(first.headers["Location"])


def matching_contact(world) -> dict:
    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    emails = {c["email"] for c in customers if c.get("email")}
    return next(c for c in world.freshsales.contacts.values() if c["email"] in emails)


def test_node_is_there():
    assert node_path()


def test_a_contact_opens_the_panel_with_its_invoices(world):
    contact = matching_contact(world)
    result = call(world, "contact", contact["id"])
    assert result["error"] is None, result
    assert result["data"]["role"] == "member"
    url = result["data"]["url"]
    assert url.startswith(world.panel_url + "/panel?context=")
    assert [sent["template"] for sent in result["requests"]] == ["freshsalesOwners", "freshsalesContact"]
    assert {sent["host"] for sent in result["requests"]} == {world.freshsales.domain}
    claims = claims_of(world, url)
    assert claims["iss"] == claims["account"] == "freshworks:acme.myfreshworks.com"
    assert claims["exp"] - claims["iat"] == 300 and claims["jti"]
    assert claims["user"] == {"id": str(REP_ID), "email": "sam.rep@acme-crm.example", "name": "Sam Rep",
                              "role": "member", "locale": "en", "tz": "Pacific/Auckland"}
    assert claims["record"] == {"type": "contact", "id": str(contact["id"]), "name": contact["display_name"],
                                "email": contact["email"],
                                "company": contact["sales_accounts"][0]["name"] if contact["sales_accounts"] else ""}
    page = open_panel(world, url)
    assert page.status_code == 200
    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    name = next(c["name"] for c in customers if c.get("email") == contact["email"])
    assert name in unescape(page.get_data(as_text=True))
    assert 'id="panel"' in page.get_data(as_text=True)


def test_an_account_and_a_deal_are_read_through_freshsales(world):
    account_id, account = next(iter(world.freshsales.sales_accounts.items()))
    result = call(world, "sales_account", account_id)
    assert claims_of(world, result["data"]["url"])["record"] == {
        "type": "account", "id": str(account_id), "name": account["name"], "email": "", "company": account["name"]}
    assert open_panel(world, result["data"]["url"]).status_code == 200

    deal_id, deal = next((i, d) for i, d in world.freshsales.deals.items() if d["contact_ids"])
    result = call(world, "deal", deal_id)
    record = claims_of(world, result["data"]["url"])["record"]
    contact = world.freshsales.contacts[deal["contact_ids"][0]]
    account = world.freshsales.sales_accounts[deal["sales_account_id"]]
    assert record == {"type": "deal", "id": str(deal_id), "name": deal["name"], "email": contact["email"],
                      "company": account["name"], "account": {"id": str(account["id"]), "name": account["name"]},
                      "contact": {"id": str(contact["id"]), "name": contact["display_name"],
                                  "email": contact["email"]}}
    assert [sent["template"] for sent in result["requests"]] == [
        "freshsalesOwners", "freshsalesDeal", "freshsalesSalesAccount", "freshsalesContact"]
    assert open_panel(world, result["data"]["url"]).status_code == 200


def test_an_admin_gets_the_admin_page_and_a_member_never_does(world):
    contact_id = next(iter(world.freshsales.contacts))
    admin = call(world, "contact", contact_id, user_id=ADMIN_ID, page="admin")
    assert admin["data"]["role"] == "admin"
    assert urlsplit(admin["data"]["url"]).path == "/admin"
    assert open_panel(world, admin["data"]["url"]).status_code == 200
    member = call(world, "contact", contact_id, user_id=REP_ID, page="admin")
    assert member["error"] == {"status": 403, "message": "Only Freshsales admins can connect Xero."}
    # A member whose browser claims the admin ability still needs the server's check on /admin; the role is what
    # the function signed, and the function only signs admin for the ability Freshworks reports.
    assert call(world, "contact", contact_id, user_id=REP_ID)["data"]["role"] == "member"


def test_locale_and_time_zone_follow_the_user(world):
    result = call(world, "contact", next(iter(world.freshsales.contacts)), user_id=REP_DE_ID)
    assert claims_of(world, result["data"]["url"])["user"]["locale"] == "de"
    assert claims_of(world, result["data"]["url"])["user"]["tz"] == "Europe/Berlin"
    odd = call(world, "contact", next(iter(world.freshsales.contacts)), time_zone="Atlantis", language="<x>")
    assert claims_of(world, odd["data"]["url"])["user"]["tz"] == "UTC"
    assert claims_of(world, odd["data"]["url"])["user"]["locale"] == "en"


@pytest.mark.parametrize(("how", "status", "words"), [
    ({"user_id": 424242}, 403, "does not list you as an active user"),
    ({"user_id": LEFT_ID}, 403, "does not list you as an active user"),
    ({"entity_id": 999999}, 404, "isn't in Freshsales any more"),
    ({"entity_type": "lead"}, 400, "contact, account and deal pages only"),
    ({"entity_id": "1 OR 1"}, 400, "contact, account and deal pages only"),
    ({"iparams": {"freshsales_api_key": "wrong"}}, 503, "refused the app's API key"),
    ({"iparams": {"panel_secret": "short"}}, 503, "not set up"),
    ({"iparams": {"freshsales_domain": "https://acme"}}, 503, "not set up"),
])
def test_refusals_say_why_and_mint_nothing(world, how, status, words):
    entity_type = how.pop("entity_type", "contact")
    entity_id = how.pop("entity_id", next(iter(world.freshsales.contacts)))
    result = call(world, entity_type, entity_id, **how)
    assert result["data"] is None
    assert result["error"]["status"] == status and words in result["error"]["message"]


def test_a_freshsales_outage_is_a_502_not_a_crash(world):
    world.freshsales.fail_next.append(500)
    result = call(world, "contact", next(iter(world.freshsales.contacts)))
    assert result["error"]["status"] == 502 and "could not read this record" in result["error"]["message"]


def test_no_secret_reaches_the_browser(world):
    result = call(world, "contact", next(iter(world.freshsales.contacts)))
    answer = repr(result["data"])
    assert world.secret not in answer and world.freshsales.api_key not in answer
    assert set(result["data"]) == {"url", "role"}
