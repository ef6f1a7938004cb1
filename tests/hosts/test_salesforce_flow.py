"""Salesforce Canvas end to end against the dev kit's Salesforce: a signed request POSTed to the canvas URL becomes
the panel for a Contact, an Account and an Opportunity, the admins' settings surface opens for the permission set's
holders only, and every refusal is a plain page (never a 500). Envelopes are signed with an HMAC written here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from html import unescape

import pytest

from devkit.salesforce import start_salesforce_world
from devkit.salesforce.state import ACME_ORG, ADMIN_ID, GLOBEX_ADMIN_ID, GLOBEX_ORG, REP_ID, SETUP_ONLY_ID, sf_id
from tests.hosts.conftest import connect_xero

ACCOUNT = f"salesforce:{ACME_ORG}"
CANVAS = "/hosts/salesforce/canvas"


@pytest.fixture
def world(emulator, clock, tmp_path):
    started = start_salesforce_world(emulator=(emulator.url, emulator.state), clock=clock, data_dir=tmp_path,
                                     panel_config={"SECRET_KEY": "hosts-tests-secret-key", "TESTING": True})
    yield started
    started.stop()


@pytest.fixture
def ready(world):
    connect_xero(world, ACCOUNT)
    return world


def sign(body: dict, secret: str) -> str:
    encoded = base64.b64encode(json.dumps(body).encode()).decode()
    signature = base64.b64encode(hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()).decode()
    return f"{signature}.{encoded}"


def envelope(world, *, user_id: str = REP_ID, org_id: str = ACME_ORG, parameters: dict | None = None,
             record: dict | None = None, token: str | None = None, instance_url: str | None = None) -> dict:
    user = world.salesforce.org(org_id).users[user_id]
    return {
        "algorithm": "HMACSHA256", "issuedAt": None, "userId": user_id,
        "client": {"instanceUrl": instance_url or world.salesforce_url,
                   "oauthToken": token or world.salesforce.open_session(org_id, user_id),
                   "targetOrigin": world.salesforce_url},
        "context": {"user": {"userId": user_id, "fullName": user.name, "email": user.email, "locale": user.locale,
                             "timeZone": user.time_zone},
                    "organization": {"organizationId": org_id, "name": "Org"},
                    "environment": {"displayLocation": "Aura", "parameters": parameters or {}, "record": record or {}}},
    }


def post(world, body: dict | None = None, *, secret: str | None = None, raw: str | None = None):
    client = world.panel_app.test_client()
    value = raw if raw is not None else sign(body or {}, secret or world.salesforce.app.consumer_secret)
    return client.post(CANVAS, data={"signed_request": value})


def open_canvas(world, body: dict):
    """What the canvas iframe does: POST the signed request, follow the 303 to our page."""
    first = post(world, body)
    if first.status_code != 303:
        return first
    return world.panel_app.test_client().get(first.headers["Location"])


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def matched_contact(world) -> tuple[dict, dict]:
    customers = world.emulator_state.customers(world.emulator_state.tenants[0]["tenant_id"])
    emails = [c["email"].lower() for c in customers if c.get("email")]
    by_email = {c["email"].lower(): c for c in customers if c.get("email")}
    for contact in world.salesforce.org(ACME_ORG).contacts.values():
        email = (contact["Email"] or "").lower()
        if email in by_email and emails.count(email) == 1:
            return contact, by_email[email]
    raise AssertionError("no contact matches a Xero customer")


def test_a_contact_shows_its_invoices_through_the_lightning_wrapper(ready):
    contact, customer = matched_contact(ready)
    first = post(ready, envelope(ready, parameters={"recordId": contact["Id"], "sObjectName": "Contact"}))
    assert first.status_code == 303 and "/panel?launch=" in first.headers["Location"]
    assert "signed_request" not in first.headers["Location"]
    page = ready.panel_app.test_client().get(first.headers["Location"])
    assert page.status_code == 200
    assert customer["name"] in text_of(page)
    assert re.search(r"X-Panel-Session", text_of(page))
    assert "frame-ancestors" in page.headers["Content-Security-Policy"]
    assert ready.salesforce_url in page.headers["Content-Security-Policy"]


def test_the_hand_over_works_once(ready):
    contact, _ = matched_contact(ready)
    first = post(ready, envelope(ready, parameters={"recordId": contact["Id"]}))
    client = ready.panel_app.test_client()
    assert client.get(first.headers["Location"]).status_code == 200
    again = client.get(first.headers["Location"])
    assert again.status_code == 401 and "already used" in text_of(again)


def test_an_account_and_an_opportunity_show_their_invoices(ready):
    org = ready.salesforce.org(ACME_ORG)
    contact, _ = matched_contact(ready)
    account = org.accounts[contact["AccountId"]]
    page = open_canvas(ready, envelope(ready, record={"attributes": {"type": "Account"}, "Id": account["Id"]}))
    assert page.status_code == 200 and account["Name"] in text_of(page)
    assert "invoice" in text_of(page).lower()

    by_role = {role["OpportunityId"] for role in org.contact_roles}
    with_role = next(o for o in org.opportunities.values() if o["Id"] in by_role)
    with_field = next(o for o in org.opportunities.values() if o["ContactId"])
    for opportunity in (with_role, with_field):
        page = open_canvas(ready, envelope(ready, parameters={"recordId": opportunity["Id"]}))
        assert page.status_code == 200, text_of(page)
        assert org.accounts[opportunity["AccountId"]]["Name"] in text_of(page)


def test_the_opportunity_takes_its_primary_contact_role(world):
    """The mapping itself, read back from the hand-over: the primary contact role's contact, else ContactId."""
    from plugin.embed.session import verify_handover

    org = world.salesforce.org(ACME_ORG)
    role = org.contact_roles[0]
    first = post(world, envelope(world, parameters={"recordId": role["OpportunityId"]}))
    launch = first.headers["Location"].split("launch=")[1].split("&")[0]
    with world.panel_app.test_request_context():
        context = verify_handover(launch)
    assert context.record.type == "deal" and context.record.contact is not None
    assert context.record.contact.id == role["ContactId"]
    assert context.record.email == (org.contacts[role["ContactId"]]["Email"] or "")
    assert context.record.account is not None


def test_admins_are_the_permission_set_holders(world):
    from plugin.embed.session import verify_handover

    roles = {}
    for user_id in (ADMIN_ID, REP_ID, SETUP_ONLY_ID):
        contact = next(iter(world.salesforce.org(ACME_ORG).contacts))
        first = post(world, envelope(world, user_id=user_id, parameters={"recordId": contact}))
        launch = first.headers["Location"].split("launch=")[1].split("&")[0]
        with world.panel_app.test_request_context():
            roles[user_id] = verify_handover(launch).user.role
    assert roles == {ADMIN_ID: "admin", REP_ID: "member", SETUP_ONLY_ID: "member"}


def test_the_settings_surface_opens_for_admins_and_refuses_members(world):
    admin = post(world, envelope(world, user_id=ADMIN_ID, parameters={"view": "settings"}))
    assert admin.status_code == 303 and "/admin?launch=" in admin.headers["Location"]
    page = world.panel_app.test_client().get(admin.headers["Location"])
    assert page.status_code == 200 and "Connect to Xero" in text_of(page)
    for member in (REP_ID, SETUP_ONLY_ID):
        refused = post(world, envelope(world, user_id=member, parameters={"view": "settings"}))
        assert refused.status_code == 403 and "Xero Invoices Admin permission set" in text_of(refused)


def test_a_member_can_not_reach_the_admin_actions_with_a_panel_session(ready):
    contact, _ = matched_contact(ready)
    page = open_canvas(ready, envelope(ready, parameters={"recordId": contact["Id"]}))
    session = re.search(r'"X-Panel-Session": "([^"]+)"', text_of(page)).group(1)
    response = ready.panel_app.test_client().post("/admin/connect/ticket", headers={"X-Panel-Session": session})
    assert response.status_code == 403 and "Only admins" in text_of(response)


def test_forged_and_malformed_requests_are_refused_with_a_page(world):
    contact = next(iter(world.salesforce.org(ACME_ORG).contacts))
    body = envelope(world, parameters={"recordId": contact})
    good = sign(body, world.salesforce.app.consumer_secret)
    signature, _, encoded = good.partition(".")
    tampered = base64.b64encode(json.dumps({**body, "userId": ADMIN_ID}).encode()).decode()
    cases = {
        "tampered": (post(world, raw=f"{signature}.{tampered}"), 401, "signature does not match"),
        "other secret": (post(world, body, secret="some-other-consumer-secret-xx"), 401, "consumer secret"),
        "base64url": (post(world, raw=signature.replace("+", "-").replace("/", "_") + "-_." + encoded), 400,
                      "base64"),
        "empty": (post(world, raw=""), 400, "opens only inside Salesforce"),
        "missing record": (post(world, envelope(world)), 400, "which record"),
        "unknown object": (post(world, envelope(world, parameters={"recordId": "500000000000001AAA",
                                                                   "sObjectName": "Case"})), 400, "Contact, Account"),
    }
    for name, (response, status, words) in cases.items():
        assert response.status_code == status, name
        assert response.mimetype == "text/html" and words in text_of(response), name


def test_salesforce_saying_no_is_a_page_not_a_500(world):
    org = world.salesforce.org(ACME_ORG)
    contact_id = next(iter(org.contacts))
    world.salesforce.delete(ACME_ORG, "Contact", contact_id)
    deleted = post(world, envelope(world, parameters={"recordId": contact_id}))
    assert deleted.status_code == 404 and "isn't in Salesforce any more" in text_of(deleted)

    other_org = post(world, envelope(world, parameters={"recordId": sf_id("003", 9001)}))
    assert other_org.status_code == 404  # Globex's contact, read with Acme's token

    body = envelope(world, parameters={"recordId": next(iter(org.accounts))})
    world.salesforce.end_sessions()
    ended = post(world, body)
    assert ended.status_code == 401 and "session" in text_of(ended)

    world.salesforce.fail_next.append(503)
    down = post(world, envelope(world, parameters={"recordId": next(iter(org.accounts))}))
    assert down.status_code == 503 and "didn't answer" in text_of(down)

    world.salesforce.fail_next.extend([0, 403])  # the permission-set query passes, the record read is refused
    forbidden = post(world, envelope(world, parameters={"recordId": next(iter(org.accounts))}))
    assert forbidden.status_code == 403 and "refused" in text_of(forbidden)

    elsewhere = post(world, envelope(world, parameters={"recordId": next(iter(org.accounts))},
                                     instance_url="https://evil.example"))
    assert elsewhere.status_code == 403 and "SALESFORCE_API_ORIGINS" in text_of(elsewhere)


def test_a_replayed_envelope_dies_with_its_salesforce_session(world):
    body = envelope(world, parameters={"recordId": next(iter(world.salesforce.org(ACME_ORG).accounts))})
    assert post(world, body).status_code == 303
    world.salesforce.end_sessions()
    assert post(world, body).status_code == 401


def test_globex_is_its_own_account(world):
    from plugin.embed.session import verify_handover

    first = post(world, envelope(world, org_id=GLOBEX_ORG, user_id=GLOBEX_ADMIN_ID,
                                 parameters={"recordId": sf_id("003", 9001)}))
    launch = first.headers["Location"].split("launch=")[1].split("&")[0]
    with world.panel_app.test_request_context():
        assert verify_handover(launch).account_id == f"salesforce:{GLOBEX_ORG}"


def test_a_get_is_explained_and_an_unconfigured_server_answers_404(world, tmp_path):
    response = world.panel_app.test_client().get(CANVAS)
    assert response.status_code == 400 and "Signed Request (POST)" in text_of(response)

    from plugin import create_app

    off = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/off.sqlite"})
    assert off.test_client().post(CANVAS, data={"signed_request": "x.y"}).status_code == 404


def test_refusals_are_pages_in_the_browsers_language(world):
    client = world.panel_app.test_client()
    unknown = sign(envelope(world, parameters={"recordId": "500000000000001AAA", "sObjectName": "Case"}),
                   world.salesforce.app.consumer_secret)
    german = client.post(CANVAS, data={"signed_request": unknown}, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert german.status_code == 400
    assert "<h1>Xero-Rechnungen können nicht geöffnet werden</h1>" in text_of(german)
    assert ("Xero-Rechnungen erscheint nur auf Contact-, Account- und Opportunity-Seiten, nicht auf Case."
            in text_of(german))
    dutch = client.post(CANVAS, data={"signed_request": ""}, headers={"Accept-Language": "nl-BE"})
    assert "Salesforce heeft geen ondertekend verzoek gestuurd." in text_of(dutch)
    brazilian = client.get(CANVAS, headers={"Accept-Language": "pt-BR"})
    assert "Esta página só abre dentro do Salesforce" in text_of(brazilian)
    assert "opens only inside Salesforce" not in text_of(german) + text_of(dutch) + text_of(brazilian)
