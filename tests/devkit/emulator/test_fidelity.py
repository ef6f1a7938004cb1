"""Where the emulator follows Xero where it once didn't: paths ignore case, `unitdp=4` gives four-decimal unit
amounts, and `where`/`order` field names ignore case. Checked over HTTP, and with Xero's own SDK (xero-python)."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import requests

from devkit.emulator.query import STRING, Field, QueryParseError, compile_order, compile_where
from devkit.emulator.seed import SHARED_EMAIL
from devkit.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

# --- paths ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/connections", "/Connections", "/CONNECTIONS"])
def test_connections_answer_under_any_case(emulator, tokens, path):
    answer = requests.get(emulator.url + path, headers={"Authorization": f"Bearer {tokens['access_token']}"},
                          timeout=10)

    assert answer.status_code == 200, answer.text
    assert {c["tenantId"] for c in answer.json()} == {t["tenant_id"] for t in emulator.state.tenants}


@pytest.mark.parametrize("path", ["Invoices", "invoices", "INVOICES", "../../API.XRO/2.0/iNvOiCeS"])
def test_accounting_paths_ignore_case(api, path):
    answer = api.get(path, {"page": 1, "pageSize": 3})

    assert answer.status_code == 200 and len(answer.json()["Invoices"]) == 3


def test_ids_in_a_path_keep_their_case_while_the_fixed_parts_ignore_it(api):
    invoice = api.get("Invoices", {"page": 1, "pageSize": 1}).json()["Invoices"][0]
    contact_id = invoice["Contact"]["ContactID"]

    by_number = api.get(f"invoices/{invoice['InvoiceNumber']}")
    contact = api.get(f"CONTACTS/{contact_id.upper()}")

    assert by_number.status_code == 200 and by_number.json()["Invoices"][0]["InvoiceID"] == invoice["InvoiceID"]
    assert contact.status_code == 200 and contact.json()["Contacts"][0]["ContactID"] == contact_id


def test_identity_discovery_and_controls_ignore_case_too(emulator):
    discovery = requests.get(f"{emulator.url}/.Well-Known/OpenID-Configuration", timeout=10)
    jwks = requests.get(f"{emulator.url}/.well-known/openid-configuration/JWKS", timeout=10)
    tenants = requests.get(f"{emulator.url}/_Emulator/Tenants", timeout=10)

    assert discovery.status_code == 200 and discovery.json()["token_endpoint"].endswith("/connect/token")
    assert jwks.status_code == 200 and jwks.json()["keys"]
    assert tenants.status_code == 200 and tenants.json() == emulator.state.tenants


def test_a_path_no_route_has_is_still_xeros_404(api):
    answer = api.get("NoSuchThing")

    assert answer.status_code == 404 and answer.text == "The resource you're looking for cannot be found"


# --- unitdp --------------------------------------------------------------------------------------------------


def _decimal_json(answer: requests.Response) -> dict:
    return json.loads(answer.text, parse_float=Decimal)


@pytest.fixture
def four_place_invoice(emulator, studio_id) -> str:
    contact_id = emulator.state.customers(studio_id)[0]["contact_id"]
    return emulator.state.create_invoice(studio_id, contact_id, quantity=10, unit_amount="12.3456")


def test_unit_amounts_have_two_decimals_unless_unitdp_4_asks_for_four(api, four_place_invoice):
    default = _decimal_json(api.get(f"Invoices/{four_place_invoice}"))["Invoices"][0]["LineItems"][0]
    four = _decimal_json(api.get(f"Invoices/{four_place_invoice}", {"unitdp": 4}))["Invoices"][0]["LineItems"][0]
    other = _decimal_json(api.get(f"Invoices/{four_place_invoice}", {"unitdp": 3}))["Invoices"][0]["LineItems"][0]

    assert str(default["UnitAmount"]) == "12.35" and str(other["UnitAmount"]) == "12.35"
    assert str(four["UnitAmount"]) == "12.3456"
    assert str(default["LineAmount"]) == str(four["LineAmount"]) == "123.46", "line amounts stay in cents"
    assert str(four["Quantity"]) == "10.0000"


def test_unitdp_4_applies_to_paged_invoice_lists(api, four_place_invoice):
    invoices = _decimal_json(api.get("Invoices", {"IDs": four_place_invoice, "page": 1, "unitdp": "4"}))["Invoices"]
    everyone = _decimal_json(api.get("Invoices", {"page": 1, "pageSize": 50, "unitdp": "4"}))["Invoices"]

    assert str(invoices[0]["LineItems"][0]["UnitAmount"]) == "12.3456"
    assert all(len(str(line["UnitAmount"]).split(".")[1]) == 4 for i in everyone for line in i["LineItems"])


# --- where and order -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["isCustomer==true", "ISCUSTOMER==TRUE", "iscustomer", "IsCustomer == True"])
def test_where_field_names_and_keywords_ignore_case(api, where):
    expected = api.get("Contacts", {"where": "IsCustomer==true"}).json()["Contacts"]
    found = api.get("Contacts", {"where": where})

    assert found.status_code == 200, found.text
    assert [c["ContactID"] for c in found.json()["Contacts"]] == [c["ContactID"] for c in expected] != []


@pytest.mark.parametrize("where", [f'EMAILADDRESS=="{SHARED_EMAIL}"', f'emailAddress=="{SHARED_EMAIL.upper()}"',
                                   f'emailaddress!=null && EmailAddress.startswith("{SHARED_EMAIL}")',
                                   f'EmailAddress.ToLower().CONTAINS("{SHARED_EMAIL}")'])
def test_email_lookups_ignore_the_case_of_field_and_method_names(api, where):
    found = api.get("Contacts", {"where": where})

    assert found.status_code == 200, found.text
    assert len(found.json()["Contacts"]) == 2


def test_dotted_fields_guid_and_datetime_ignore_case_on_invoices(api):
    invoice = api.get("Invoices", {"page": 1, "pageSize": 1}).json()["Invoices"][0]
    contact_id = invoice["Contact"]["ContactID"]
    canonical = api.get("Invoices", {"where": f'Contact.ContactID==Guid("{contact_id}") AND Date>=DateTime(2000,1,1)'})
    loose = api.get("Invoices", {"where": f'contact.contactid==guid("{contact_id}") and date>=datetime(2000,1,1)'})

    assert loose.status_code == 200, loose.text
    assert [i["InvoiceID"] for i in loose.json()["Invoices"]] == [i["InvoiceID"] for i in canonical.json()["Invoices"]]


def test_order_field_names_ignore_case(api):
    upper = api.get("Contacts", {"order": "Name DESC"}).json()["Contacts"]
    lower = api.get("Contacts", {"order": "name desc"}).json()["Contacts"]

    assert [c["ContactID"] for c in lower] == [c["ContactID"] for c in upper]


def test_unknown_fields_are_still_a_query_parse_error_naming_the_field_as_given():
    fields = {"Name": Field(STRING, lambda row: row)}
    with pytest.raises(QueryParseError, match="'colour'"):
        compile_where('colour=="red"', fields, "Contact")
    with pytest.raises(QueryParseError):
        compile_order("Colour", fields, "Contact")
    with pytest.raises(QueryParseError):
        compile_where('Name.Reverse("x")', fields, "Contact")


# --- Xero's own SDK ------------------------------------------------------------------------------------------


@pytest.fixture
def sdk_client(tokens):
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    held = {**tokens, "expires_at": time.time() + 3600}  # the SDK judges expiry on the real clock
    client = ApiClient(Configuration(oauth2_token=OAuth2Token(client_id=DEMO_CLIENT_ID,
                                                              client_secret=DEMO_CLIENT_SECRET)), pool_threads=1)
    client.oauth2_token_getter(lambda: held)
    client.oauth2_token_saver(held.update)
    return client


def test_xero_pythons_identity_api_lists_connections_at_Connections(emulator, sdk_client):
    from xero_python.identity import IdentityApi

    connections = IdentityApi(sdk_client, base_url=emulator.url).get_connections()

    assert {str(c.tenant_id) for c in connections} == {t["tenant_id"] for t in emulator.state.tenants}
    assert {c.tenant_name for c in connections} == {t["name"] for t in emulator.state.tenants}


def test_xero_pythons_accounting_api_reads_unitdp_and_loose_where(emulator, sdk_client, studio_id,
                                                                  four_place_invoice):
    from xero_python.accounting import AccountingApi

    accounting = AccountingApi(sdk_client, base_url=f"{emulator.url}/api.xro/2.0")
    [invoice] = accounting.get_invoices(studio_id, i_ds=[four_place_invoice], page=1, unitdp=4).invoices
    customers = accounting.get_contacts(studio_id, where="isCustomer==true").contacts

    assert Decimal(str(invoice.line_items[0].unit_amount)) == Decimal("12.3456")
    assert customers and all(c.is_customer for c in customers)
