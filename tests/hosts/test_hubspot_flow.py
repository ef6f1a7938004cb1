"""HubSpot end to end over HTTP against the dev kit's HubSpot: install, the card's JSON for each record type (signed
by HubSpot's own library), refusals as plain JSON messages, admins only for the Xero set-up, and the modal link."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

from sqlalchemy import text

from plugin.storage import get_database
from tests.hosts.hubspot_support import (
    ACCOUNT,
    ACME_ID,
    ADMIN_ID,
    GLOBEX_ID,
    REP_ID,
    card_body,
    connect_xero,
    hs_world,
    install,
    matched_contact,
    now_ms,
    signed_post,
)

__all__ = ["hs_world"]  # the fixture


def ready(world) -> None:
    assert install(world).status_code == 200
    connect_xero(world)


def test_install_stores_the_portals_tokens_encrypted(hs_world):
    response = install(hs_world)
    assert response.status_code == 200 and "Xero invoices is installed" in response.text
    stored = get_database(hs_world.panel_app).host_tokens.get(ACCOUNT)
    assert stored is not None and stored.installed_by == str(ADMIN_ID)
    with get_database(hs_world.panel_app).engine.connect() as connection:
        row = connection.execute(text("SELECT host, access_token_enc, refresh_token_enc FROM host_installations")).one()
    assert row[0] == "hubspot"
    assert stored.access_token not in row[1] and stored.refresh_token not in row[2]


def test_a_contacts_card_shows_its_customer_owed_overdue_ageing_and_urgent_invoices(hs_world):
    ready(hs_world)
    found = matched_contact(hs_world)
    response = signed_post(hs_world, "/hosts/hubspot/card", card_body(found["contact"]["id"]))
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["state"] == "ok" and card["customer"]["name"] == found["customer"]["name"]
    assert card["user"]["role"] == "member" and card["actions"] == {"open_panel": True, "connect_xero": False}
    assert [bucket["key"] for bucket in card["ageing"]["buckets"]] == ["current", "1-30", "31-60", "61-90", "over-90"]
    for total in card["totals"]:
        buckets = next(c for c in card["ageing"]["currencies"] if c["currency"] == total["currency"])["amounts"]
        assert {amount["currency"] for amount in buckets} == {total["currency"]}
        assert sum(Decimal(amount["amount"]) for amount in buckets) == Decimal(total["owed"]["amount"])
        assert Decimal(total["overdue"]["amount"]) == sum(Decimal(amount["amount"]) for amount in buckets[1:])
    assert 1 <= len(card["urgent"]) <= 5
    days = [invoice["days_past_due"] for invoice in card["urgent"]]
    assert days == sorted(days, reverse=True)
    assert all(invoice["link"].startswith(hs_world.emulator_url) for invoice in card["urgent"])


def test_currencies_are_never_added_together(hs_world):
    ready(hs_world)
    company = next(c for c in hs_world.hubspot.portal(ACME_ID).companies.values()
                   if c["properties"]["name"].startswith("Ngāti Whātua"))
    card = signed_post(hs_world, "/hosts/hubspot/card", card_body(company["id"], type_id="0-2")).json()
    assert card["state"] == "ok"
    currencies = [total["currency"] for total in card["totals"]]
    assert len(currencies) >= 2 and len(set(currencies)) == len(currencies)
    assert {c["currency"] for c in card["ageing"]["currencies"]} == set(currencies)


def test_a_deal_shows_its_companys_or_contacts_customer(hs_world):
    ready(hs_world)
    portal = hs_world.hubspot.portal(ACME_ID)
    deal = next(iter(portal.deals.values()))
    card = signed_post(hs_world, "/hosts/hubspot/card", card_body(deal["id"], type_id="0-3")).json()
    assert card["record"]["type"] == "deal" and card["state"] in ("ok", "no_match")


def test_forged_requests_are_refused_over_http(hs_world):
    ready(hs_world)
    body = card_body(matched_contact(hs_world)["contact"]["id"])
    cases = {
        "more than 5 minutes old": {"timestamp": now_ms(hs_world) - 5 * 60 * 1000 - 1},
        "does not match": {"send_body": '{"portalId": "4002"}'},
    }
    for words, forged in cases.items():
        response = signed_post(hs_world, "/hosts/hubspot/card", body, **forged)
        assert response.status_code == 401 and words in response.json()["message"], words
    other_uri = signed_post(hs_world, "/hosts/hubspot/card", body,
                            sign_uri=hs_world.panel_url + "/hosts/hubspot/launch")
    other_secret = signed_post(hs_world, "/hosts/hubspot/card", body, secret="not-this-apps-client-secret")
    assert other_uri.status_code == 401 and other_secret.status_code == 401
    unsigned = __import__("requests").post(hs_world.panel_url + "/hosts/hubspot/card", json=body, timeout=10)
    assert unsigned.status_code == 401 and "not signed by HubSpot" in unsigned.json()["message"]


def test_the_query_hubspot_adds_must_agree_with_the_body(hs_world):
    ready(hs_world)
    body = card_body(matched_contact(hs_world)["contact"]["id"])
    response = signed_post(hs_world, "/hosts/hubspot/card", body,
                           query={"portalId": GLOBEX_ID, "userId": REP_ID, "userEmail": "sam@acme.example"})
    assert response.status_code == 401 and "two different portalId values" in response.json()["message"]
    response = signed_post(hs_world, "/hosts/hubspot/card", body,
                           query={"portalId": ACME_ID, "userId": REP_ID, "userEmail": "sam.rep@acme-crm.example",
                                  "appId": "999"})
    assert response.status_code == 401 and "another HubSpot app" in response.json()["message"]
    response = signed_post(hs_world, "/hosts/hubspot/card", body,
                           query={"portalId": ACME_ID, "userId": REP_ID, "userEmail": "sam.rep@acme-crm.example",
                                  "appId": hs_world.hubspot.app.app_id})
    assert response.status_code == 200 and response.json()["state"] == "ok"


def test_another_portals_record_and_a_missing_install_find_nothing(hs_world):
    response = signed_post(hs_world, "/hosts/hubspot/card", card_body(1))
    assert response.status_code == 403 and response.json()["state"] == "not_installed"
    ready(hs_world)
    secret_contact = next(iter(hs_world.hubspot.portal(GLOBEX_ID).contacts.values()))
    response = signed_post(hs_world, "/hosts/hubspot/card", card_body(secret_contact["id"]))
    assert response.status_code == 404 and "isn't one of your account's" in response.json()["message"]
    assert "Gloria" not in response.text


def test_only_super_admins_set_up_xero(hs_world):
    assert install(hs_world).status_code == 200
    contact = matched_contact(hs_world)["contact"]["id"]
    as_rep = signed_post(hs_world, "/hosts/hubspot/card", card_body(contact)).json()
    as_admin = signed_post(hs_world, "/hosts/hubspot/card", card_body(contact, user_id=ADMIN_ID)).json()
    assert as_rep["state"] == as_admin["state"] == "not_set_up"
    assert as_rep["actions"]["connect_xero"] is False and as_admin["actions"]["connect_xero"] is True
    refused = signed_post(hs_world, "/hosts/hubspot/launch", card_body(contact, target="admin"))
    assert refused.status_code == 403 and "super admins" in refused.json()["message"]
    allowed = signed_post(hs_world, "/hosts/hubspot/launch", card_body(contact, user_id=ADMIN_ID, target="admin"))
    assert allowed.status_code == 200 and "/admin?launch=" in allowed.json()["url"]


def test_the_modal_link_opens_the_full_panel_once(hs_world):
    ready(hs_world)
    found = matched_contact(hs_world)
    answer = signed_post(hs_world, "/hosts/hubspot/launch", card_body(found["contact"]["id"], target="panel")).json()
    assert answer["url"].startswith(hs_world.panel_url + "/panel?launch=")
    client = hs_world.panel_app.test_client()
    page = client.get(answer["url"].removeprefix(hs_world.panel_url))
    assert page.status_code == 200 and found["customer"]["name"] in unescape(page.get_data(as_text=True))
    assert hs_world.hubspot_url in page.headers["Content-Security-Policy"]
    again = client.get(answer["url"].removeprefix(hs_world.panel_url))
    assert again.status_code == 401


def test_the_dev_kit_hubspot_signs_like_hubspot(hs_world):
    ready(hs_world)
    import requests

    browser = requests.Session()
    browser.cookies.set("hs_user", f"{ACME_ID}:{REP_ID}")
    found = matched_contact(hs_world)
    answer = browser.post(hs_world.hubspot_url + "/_card/fetch", json={
        "path": "/hosts/hubspot/card", "objectId": found["contact"]["id"], "objectTypeId": "0-1"}).json()
    assert answer["status"] == 200 and answer["body"]["customer"]["name"] == found["customer"]["name"]


def test_an_expired_hubspot_token_is_refreshed_once_and_hubspot_down_is_a_plain_message(hs_world):
    ready(hs_world)
    body = card_body(matched_contact(hs_world)["contact"]["id"])
    hs_world.hubspot.expire_access_tokens()
    assert signed_post(hs_world, "/hosts/hubspot/card", body).json()["state"] == "ok"
    assert hs_world.hubspot.calls.count("token:refresh_token") == 1
    hs_world.hubspot.fail_next.extend([503] * 3)
    other = card_body(next(iter(hs_world.hubspot.portal(ACME_ID).companies)), type_id="0-2")
    response = signed_post(hs_world, "/hosts/hubspot/card", other)
    assert response.status_code == 503 and "HubSpot isn't answering" in response.json()["message"]


def test_the_cards_messages_are_in_the_users_language(hs_world):
    # Before the signature holds, the relaying browser's language (Accept-Language); from then on the locale HubSpot
    # signed for the user, refusals included (HubSpot relays a card's requests from its own servers).
    forged = signed_post(hs_world, "/hosts/hubspot/card", card_body(1, locale="es-ES"), secret="not-the-secret",
                         headers={"Accept-Language": "de-DE"})
    assert forged.status_code == 401 and forged.json()["message"] == (
        "Die HubSpot-Signatur der Anfrage stimmt nicht: Sie wurde nicht von HubSpot für diese App signiert oder "
        "unterwegs verändert.")
    refused = signed_post(hs_world, "/hosts/hubspot/card", card_body(1, locale="de-DE"),
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 403 and refused.json()["state"] == "not_installed"
    assert refused.json()["message"] == ("Xero-Rechnungen ist für Ihr HubSpot-Konto nicht installiert. Ein Super-Admin "
                                         "installiert die App über den HubSpot Marketplace.")
    english = signed_post(hs_world, "/hosts/hubspot/card", card_body(1), headers={"Accept-Language": "de-DE"})
    assert english.status_code == 403 and english.json()["message"] == (
        "Xero invoices isn't installed for your HubSpot account. A super admin installs it from the HubSpot "
        "Marketplace.")
    assert install(hs_world).status_code == 200
    contact = matched_contact(hs_world)["contact"]["id"]
    card = signed_post(hs_world, "/hosts/hubspot/card", card_body(contact, locale="de-DE")).json()
    assert card["state"] == "not_set_up" and card["message"] == "Xero ist noch nicht eingerichtet."
    admins_only = signed_post(hs_world, "/hosts/hubspot/launch", card_body(contact, locale="es-ES", target="admin"))
    assert admins_only.status_code == 403
    assert admins_only.json()["message"].startswith("Solo los superadministradores de HubSpot pueden conectar Xero.")
    english = signed_post(hs_world, "/hosts/hubspot/card", card_body(contact)).json()
    assert english["message"] == "Xero isn't set up yet."


def test_a_german_users_card_has_german_words_amounts_and_dates(hs_world):
    # Every word the card shows comes in the JSON, translated for the locale HubSpot signed for the user.
    ready(hs_world)
    found = matched_contact(hs_world)
    card = signed_post(hs_world, "/hosts/hubspot/card", card_body(found["contact"]["id"], locale="de-DE")).json()
    assert card["state"] == "ok"
    labels = card["labels"]
    assert labels["title"] == "Xero-Rechnungen" and labels["open_panel"] == "Vollständiges Panel öffnen"
    assert labels["set_up_xero"] == "Xero einrichten" and labels["owed"] == "Offen"
    assert (labels["ageing"], labels["most_urgent"], labels["invoice"], labels["due"]) == (
        "Altersstruktur", "Am dringendsten", "Rechnung", "Fällig")
    assert labels["tried"] == "Was wir versucht haben:" and labels["nothing_owed"] == "Nichts offen."
    assert [bucket["label"] for bucket in card["ageing"]["buckets"]] == [
        "Aktuell", "1\u201330 Tage überfällig", "31\u201360 Tage überfällig", "61\u201390 Tage überfällig",
        "Über 90 Tage überfällig"]
    for total in card["totals"]:
        assert total["labels"] == {"owed": f"Offen ({total['currency']})",
                                   "overdue": f"Überfällig ({total['currency']})"}
        assert f",{total['owed']['amount'][-2:]}" in total["owed"]["text"]  # "1.234,50 NZ$": German amounts
    for invoice in card["urgent"]:
        assert invoice["late_text"] == (f"{invoice['days_past_due']} Tage überfällig" if invoice["days_past_due"] > 1
                                        else "1 Tag überfällig" if invoice["days_past_due"] == 1 else "")
        year, month, day = invoice["due_date"].split("-")
        assert invoice["due_text"] == f"{day}.{month}.{year}"
    english = signed_post(hs_world, "/hosts/hubspot/card", card_body(found["contact"]["id"])).json()
    assert english["labels"]["open_panel"] == "Open full panel"
    assert english["ageing"]["buckets"][1]["label"] == "1\u201330 days past due"


def test_a_refusal_carries_the_cards_words_too(hs_world):
    refused = signed_post(hs_world, "/hosts/hubspot/card", card_body(1, locale="fr-FR"),
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 403 and refused.json()["labels"]["title"] == "Factures Xero"
    forged = signed_post(hs_world, "/hosts/hubspot/card", card_body(1), secret="not-the-secret",
                         headers={"Accept-Language": "fr-FR"})
    assert forged.status_code == 401 and forged.json()["labels"]["title"] == "Factures Xero"
