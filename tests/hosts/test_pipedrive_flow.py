"""Pipedrive end to end over HTTP against the dev kit's Pipedrive: install, the panel for each record type, every
refusal as a plain page, the settings surface for admins only, session renewal, refresh rotation and uninstall."""

from __future__ import annotations

import threading

import jwt
import requests
from sqlalchemy import text

from plugin.services import services
from plugin.storage import get_database
from tests.hosts.conftest import (
    ACME_ID,
    ADMIN_ID,
    GLOBEX_ID,
    REP_ID,
    connect_xero,
    install,
    panel_query,
    sign,
    text_of,
)

ACCOUNT = f"pipedrive:{ACME_ID}"


def matched_person(world) -> dict:
    """The first person whose email is a Xero customer's, and that customer."""
    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    by_email = {c["email"].lower(): c for c in customers if c.get("email")}
    emails = [c["email"].lower() for c in customers if c.get("email")]
    for person in world.pipedrive.company(ACME_ID).persons.values():
        email = person["emails"][0]["value"].lower() if person["emails"] else ""
        if email in by_email and emails.count(email) == 1:
            return {"person": person, "customer": by_email[email]}
    raise AssertionError("no person matches a Xero customer")


def ready(world) -> None:
    assert install(world).status_code == 200
    connect_xero(world)


def test_install_stores_the_company_tokens_encrypted(world):
    response = install(world)
    assert response.status_code == 200
    assert "Xero invoices is installed" in response.text
    stored = get_database(world.panel_app).host_tokens.get(ACCOUNT)
    assert stored is not None and stored.installed_by == str(ADMIN_ID)
    with get_database(world.panel_app).engine.connect() as connection:
        row = connection.execute(text("SELECT access_token_enc, refresh_token_enc FROM host_installations")).one()
    assert stored.access_token not in row[0] and stored.refresh_token not in row[1]
    assert "Bearer" not in repr(stored) and stored.access_token not in repr(stored)


def test_an_install_link_works_once(world):
    browser = requests.Session()
    start = browser.get(world.panel_url + "/hosts/pipedrive/install", allow_redirects=False)
    state = start.headers["Location"].split("state=")[1]
    first = browser.get(world.panel_url + f"/hosts/pipedrive/oauth/callback?code=nope&state={state}")
    again = browser.get(world.panel_url + f"/hosts/pipedrive/oauth/callback?code=nope&state={state}")
    assert first.status_code == 400 and "refused the installation code" in first.text
    assert again.status_code == 400 and "expired or was already used" in again.text


def test_a_person_shows_its_invoices(world, frame):
    ready(world)
    found = matched_person(world)
    response = frame.open(panel_query(world, "person", found["person"]["id"]))
    assert response.status_code == 200
    body = text_of(response)
    assert found["customer"]["name"] in body
    assert "pipedrive-app-extensions-sdk.umd.js" in body and 'data-pipedrive-frame="frame-1"' in body
    assert frame.session


def test_an_organization_and_a_deal_show_their_invoices(world, frame):
    ready(world)
    company = world.pipedrive.company(ACME_ID)
    organization = next(iter(company.organizations.values()))
    response = frame.open(panel_query(world, "organization", organization["id"]))
    assert response.status_code == 200
    assert organization["name"] in text_of(response)
    deal = next(iter(company.deals.values()))
    response = frame.open(panel_query(world, "deal", deal["id"]))
    assert response.status_code == 200
    assert company.organizations[deal["org_id"]]["name"] in text_of(response)


def test_selected_ids_of_another_companys_record_finds_nothing(world, frame):
    ready(world)
    globex = world.pipedrive.company(GLOBEX_ID)
    secret_person = next(iter(globex.persons.values()))  # its email is a Xero customer's: a leak would show
    response = frame.open(panel_query(world, "person", secret_person["id"]))
    assert response.status_code == 404
    body = text_of(response)
    assert "isn't one of your company's" in body
    assert secret_person["name"] not in body and "Gloria" not in body
    assert "pipedrive-app-extensions-sdk.umd.js" in body  # the refusal still initialises, so Pipedrive shows it


def test_a_tampered_company_id_is_refused(world, frame):
    ready(world)
    response = frame.open(panel_query(world, "person", 1, companyId=GLOBEX_ID,
                                      token=sign(world, company_id=ACME_ID)))
    assert response.status_code == 401
    assert "companyId does not match" in text_of(response)
    header, _, signature = sign(world).split(".")
    _, forged, _ = sign(world, company_id=GLOBEX_ID).split(".")
    response = frame.open(panel_query(world, "person", 1, token=f"{header}.{forged}.{signature}",
                                      company_id=GLOBEX_ID))
    assert response.status_code == 401 and "signature does not match" in text_of(response)


def test_forged_expired_and_too_old_tokens_get_a_clear_page(world, frame):
    ready(world)
    secret = world.pipedrive.app.signing_secret
    now = int(services(world.panel_app).clock.now().timestamp())
    cases = {
        "signature does not match": sign(world, secret="not-the-apps-secret-0123456789abcdef"),
        "expired": sign(world, iat=now - 400, exp=now - 100),
        "more than 10 minutes old": jwt.encode({"userId": REP_ID, "companyId": ACME_ID, "iat": now - 3600}, secret,
                                               algorithm="HS256"),
        "no 'userId'": jwt.encode({"companyId": ACME_ID}, secret, algorithm="HS256"),
    }
    for words, token in cases.items():
        response = frame.open(panel_query(world, "person", 1, token=token))
        assert response.status_code == 401, words
        assert words in text_of(response)


def test_not_installed_pipedrive_down_and_deleted_records_are_plain_messages(world, frame):
    response = frame.open(panel_query(world, "person", 1))
    assert response.status_code == 403 and "isn't installed for your Pipedrive company" in text_of(response)
    ready(world)
    world.pipedrive.fail_next.extend([503, 503])
    response = frame.open(panel_query(world, "person", 2))
    assert response.status_code == 503 and "Pipedrive isn't answering" in text_of(response)
    world.pipedrive.fail_next.clear()
    world.pipedrive.company(ACME_ID).persons.pop(3)
    response = frame.open(panel_query(world, "person", 3))
    assert response.status_code == 404 and "isn't in Pipedrive any more" in text_of(response)


def test_the_handover_link_works_once(world):
    ready(world)
    client = world.panel_app.test_client()
    first = client.get(panel_query(world, "person", matched_person(world)["person"]["id"]))
    assert client.get(first.headers["Location"]).status_code == 200
    again = client.get(first.headers["Location"])
    assert again.status_code == 401 and "already used" in text_of(again)


def test_the_panel_may_be_framed_by_pipedrive(world, frame):
    ready(world)
    response = frame.open(panel_query(world, "person", matched_person(world)["person"]["id"]))
    assert f"frame-ancestors {world.pipedrive_url}" in response.headers["Content-Security-Policy"]


def test_settings_surface_is_for_pipedrive_admins_only(world, frame):
    ready(world)
    query = f"/hosts/pipedrive/settings?id=s-1&userId={ADMIN_ID}&companyId={ACME_ID}&token="
    response = frame.open(query + sign(world, user_id=ADMIN_ID))
    assert response.status_code == 200
    assert "Xero invoices" in text_of(response) and "pipedrive-app-extensions-sdk.umd.js" in text_of(response)
    response = frame.open(f"/hosts/pipedrive/settings?id=s-1&userId={REP_ID}&companyId={ACME_ID}&token="
                          + sign(world, user_id=REP_ID))
    assert response.status_code == 403
    assert "Only Pipedrive admins can connect Xero" in text_of(response)
    assert "pipedrive-app-extensions-sdk.umd.js" in text_of(response)


def test_the_session_renews_with_a_fresh_pipedrive_token_of_the_same_user_only(world, frame):
    ready(world)
    frame.open(panel_query(world, "person", matched_person(world)["person"]["id"]))
    client = world.panel_app.test_client()
    renewed = client.post("/hosts/pipedrive/session", data={"token": sign(world)},
                          headers={"X-Panel-Session": frame.session})
    assert renewed.status_code == 200
    assert renewed.json["session"] and renewed.headers["X-Panel-Session-Renewed"] == renewed.json["session"]
    follow_up = client.get("/panel/invoices", headers={"X-Panel-Session": renewed.json["session"],
                                                        "HX-Request": "true"})
    assert follow_up.status_code == 200
    other_user = client.post("/hosts/pipedrive/session", data={"token": sign(world, user_id=ADMIN_ID)},
                             headers={"X-Panel-Session": frame.session})
    assert other_user.status_code == 401
    no_session = client.post("/hosts/pipedrive/session", data={"token": sign(world)})
    assert no_session.status_code == 401


def test_an_expired_access_token_is_refreshed_once_and_the_refresh_token_rotates(world, frame):
    ready(world)
    db = get_database(world.panel_app)
    before = db.host_tokens.get(ACCOUNT)
    world.pipedrive.expire_access_tokens()
    world.pipedrive.calls.clear()
    responses = []

    def open_panel(person_id: int) -> None:
        client = world.panel_app.test_client()
        first = client.get(panel_query(world, "person", person_id))
        responses.append(first.status_code)

    threads = [threading.Thread(target=open_panel, args=(person_id,)) for person_id in (1, 2, 4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert responses == [303] * 4
    assert world.pipedrive.calls.count("token:refresh_token") == 1
    after = db.host_tokens.get(ACCOUNT)
    assert after.refresh_token != before.refresh_token
    assert before.refresh_token in world.pipedrive.used_refresh_tokens
    reused = world.pipedrive.rotate(before.refresh_token)
    assert reused is None  # a used refresh token is refused: rotation


def test_uninstall_removes_the_companys_tokens_and_xero_connection(world, frame):
    ready(world)
    db = get_database(world.panel_app)
    other = "generic:acct-9"
    connect_xero(world, other)
    answer = requests.post(world.pipedrive_url + "/_pipedrive/uninstall",
                           json={"company_id": ACME_ID, "user_id": ADMIN_ID}, timeout=10)
    assert answer.json()["callback_status"] == 200
    assert db.host_tokens.get(ACCOUNT) is None
    assert db.connections.get(ACCOUNT) is None
    assert db.connections.get(other) is not None  # nobody else's
    response = frame.open(panel_query(world, "person", 1))
    assert response.status_code == 403 and "isn't installed" in text_of(response)


def test_an_uninstall_call_without_the_apps_credentials_is_refused(world):
    ready(world)
    answer = requests.delete(world.panel_url + "/hosts/pipedrive/uninstall", auth=("devkit-pipedrive-client", "x"),
                             json={"client_id": "devkit-pipedrive-client", "company_id": ACME_ID}, timeout=10)
    assert answer.status_code == 401
    assert get_database(world.panel_app).host_tokens.get(ACCOUNT) is not None


def test_pipedrive_refusing_the_apps_access_is_a_plain_message(world, frame):
    ready(world)
    world.pipedrive.refresh_tokens.clear()  # revoked on Pipedrive's side
    world.pipedrive.expire_access_tokens()
    response = frame.open(panel_query(world, "person", 1))
    assert response.status_code == 403
    assert "Pipedrive refuses this app's access" in text_of(response)


def test_the_install_pages_and_refusals_are_in_the_browsers_language(world, frame):
    browser = requests.Session()
    cancelled = browser.get(world.panel_url + "/hosts/pipedrive/oauth/callback?error=access_denied",
                            headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert cancelled.status_code == 400
    assert "<h1>Nicht installiert</h1>" in cancelled.text
    assert "Die Installation wurde in Pipedrive abgebrochen. Es wurde nichts gespeichert." in cancelled.text
    assert "cancelled" not in cancelled.text
    now = int(services(world.panel_app).clock.now().timestamp())
    expired = frame.client.get(panel_query(world, "person", 1, token=sign(world, iat=now - 400, exp=now - 100)),
                               headers={"Accept-Language": "fr-FR"})
    assert expired.status_code == 401
    assert "<h1>Impossible d'ouvrir Factures Xero</h1>" in text_of(expired)
    assert "Le jeton Pipedrive a expiré. Rouvrez le panneau depuis Pipedrive." in text_of(expired)
